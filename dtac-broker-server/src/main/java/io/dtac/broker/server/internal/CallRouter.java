package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.common.util.concurrent.SettableFuture;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.server.PluginState;
import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Routes one call to a plugin endpoint: finds the target plugin and endpoint, forwards the
 * request to the target's {@code PluginService.Call} with method key {@code ACTION:PATH}, and
 * turns every failure into a status a person can act on. Never blocks: the answer is a future
 * completed on a gRPC thread.
 */
public final class CallRouter {

  /** How long a failed call waits for its target's process to exit, to name the exit code. */
  private static final long EXIT_GRACE_MILLIS = 300;

  private final PluginRegistry registry;
  private final Duration defaultTimeout;
  private final CallChains chains;
  private final ShutdownGate gate;
  private final int maxMessageSize;

  public CallRouter(PluginRegistry registry, Duration defaultTimeout) {
    this(registry, defaultTimeout, new CallChains(CallChains.DEFAULT_MAX_DEPTH), new ShutdownGate(),
        Integer.MAX_VALUE);
  }

  /**
   * @param chains the call chains in flight: cycles and too deep chains are refused
   * @param gate admits calls; refuses new ones while the broker shuts down
   * @param maxMessageSize the largest request forwarded, in bytes
   */
  public CallRouter(
      PluginRegistry registry,
      Duration defaultTimeout,
      CallChains chains,
      ShutdownGate gate,
      int maxMessageSize) {
    this.registry = registry;
    this.defaultTimeout = defaultTimeout;
    this.chains = chains;
    this.gate = gate;
    this.maxMessageSize = maxMessageSize;
  }

  /**
   * Calls {@code (method, action)} of plugin {@code pluginName}. The deadline is the current
   * gRPC context's, or the broker's default when there is none; cancelling the context cancels
   * the call to the target.
   *
   * @return a future that fails with a {@link StatusRuntimeException}
   */
  public ListenableFuture<EndpointResponse> route(
      String pluginName, String method, String action, EndpointRequest request) {
    return route(pluginName, method, action, request, null);
  }

  /**
   * Like {@link #route(String, String, String, EndpointRequest)} with an explicit timeout (null:
   * the context's deadline, else the default).
   */
  public ListenableFuture<EndpointResponse> route(
      String pluginName, String method, String action, EndpointRequest request, Duration timeout) {
    return route(pluginName, method, action, request, timeout, null);
  }

  /**
   * Like {@link #route(String, String, String, EndpointRequest, Duration)}, sending {@code
   * headers} (e.g. the call's trace context) to the target with the call; null: none.
   */
  public ListenableFuture<EndpointResponse> route(
      String pluginName, String method, String action, EndpointRequest request, Duration timeout,
      Metadata headers) {
    return Futures.transform(
        forward(pluginName, method, action, request.toByteString(), timeout, headers),
        ByteForwarding::endpointResponse,
        MoreExecutors.directExecutor());
  }

  /**
   * Like {@link #route(String, String, String, EndpointRequest, Duration, Metadata)} with the
   * request and the answer as bytes ({@link ByteForwarding}), neither parsed nor re-serialised.
   *
   * @param request an EndpointRequest's bytes, checked as {@link ByteForwarding} parses them
   * @return a future of the target's EndpointResponse's bytes, checked likewise
   */
  public ListenableFuture<ByteString> forward(
      String pluginName, String method, String action, ByteString request, Duration timeout,
      Metadata headers) {
    try {
      gate.enter(CallChains.PARENT.get() != null);
    } catch (StatusRuntimeException e) {
      return Futures.immediateFailedFuture(e);
    }
    LoadedPlugin target;
    PluginServiceGrpc.PluginServiceFutureStub stub;
    String key;
    CallChains.Hop hop;
    try {
      String act = validate(pluginName, method, action);
      checkSize(request);
      target = resolve(pluginName);
      stub = target.stub();
      if (stub == null) {
        throw unavailable(target);
      }
      key = act + ":" + method;
      if (target.endpoint(key) == null) {
        throw Status.NOT_FOUND
            .withDescription(
                "plugin " + io.dtac.core.internal.Messages.quote(pluginName) + " has no endpoint " + io.dtac.core.internal.Messages.quote(key)
                    + "; endpoints: " + target.endpointKeys())
            .asRuntimeException();
      }
      hop = chains.open(target.name());
    } catch (StatusRuntimeException e) {
      gate.exit();
      return Futures.immediateFailedFuture(e);
    }
    Deadline deadline = Context.current().getDeadline();
    long allowedMillis;
    if (timeout != null || deadline == null) {
      Duration allowed = timeout != null ? timeout : defaultTimeout;
      deadline = Deadline.after(allowed.toNanos(), TimeUnit.NANOSECONDS);
      allowedMillis = allowed.toMillis();
    } else {
      allowedMillis = (deadline.timeRemaining(TimeUnit.NANOSECONDS) + 999_999) / 1_000_000;
    }
    Deadline callDeadline = deadline;
    PluginProcess process = target.process();
    SettableFuture<ByteString> result = SettableFuture.create();
    String callKey = key;
    ListenableFuture<ByteString> sent;
    try {
      Channel channel = stub.getChannel();
      if (headers != null) {
        channel = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
      }
      sent =
          ClientCalls.futureUnaryCall(
              channel.newCall(ByteForwarding.CALL, stub.getCallOptions().withDeadline(deadline)),
              ByteForwarding.endpointRequestMessage(key, stampCaller(request, hop)));
    } catch (RuntimeException e) {
      hop.close();
      gate.exit();
      return Futures.immediateFailedFuture(
          explain(target, process, callKey, Status.fromThrowable(e), true, callDeadline, allowedMillis));
    }
    Futures.addCallback(
        sent,
        new FutureCallback<>() {
          @Override
          public void onSuccess(ByteString reply) {
            hop.close();
            gate.exit();
            result.set(reply);
          }

          @Override
          public void onFailure(Throwable t) {
            hop.close();
            Status status = unreadable(target, callKey, Status.fromThrowable(t));
            boolean transport = transportFailure(target, status);
            if (transport && process != null && process.isAlive()) {
              // The connection broke: the process is probably dying; give it a moment so the
              // caller learns its exit code rather than "io exception".
              process
                  .onExit()
                  .completeOnTimeout(null, EXIT_GRACE_MILLIS, TimeUnit.MILLISECONDS)
                  .whenComplete((code, e) -> fail(result,
                      explain(target, process, callKey, status, true, callDeadline, allowedMillis)));
            } else {
              fail(result, explain(target, process, callKey, status, transport, callDeadline, allowedMillis));
            }
          }
        },
        MoreExecutors.directExecutor());
    return result;
  }

  /**
   * An answer that is no valid message ({@link ByteForwarding}) cancels the call with "Failed to
   * read message"; the caller learns INTERNAL and why instead.
   */
  private static Status unreadable(LoadedPlugin target, String key, Status status) {
    if (status.getCode() == Status.Code.CANCELLED
        && status.getCause() instanceof StatusRuntimeException e
        && e.getStatus().getCode() == Status.Code.INTERNAL) {
      return Status.INTERNAL
          .withDescription("plugin '" + target.name() + "' endpoint '" + key + "': " + e.getStatus().getDescription())
          .withCause(e.getCause());
    }
    return status;
  }

  private void fail(SettableFuture<ByteString> result, StatusRuntimeException e) {
    gate.exit();
    result.setException(e);
  }

  /**
   * Whether an UNAVAILABLE came from the connection to the target rather than from the target
   * itself (an endpoint may answer UNAVAILABLE, e.g. when a plugin it calls is down): the
   * transport attaches the cause, or the channel is no longer READY.
   */
  private static boolean transportFailure(LoadedPlugin target, Status status) {
    if (status.getCode() != Status.Code.UNAVAILABLE) {
      return false;
    }
    ManagedChannel channel = target.channel();
    return status.getCause() != null
        || channel == null
        || channel.getState(false) != ConnectivityState.READY;
  }

  private void checkSize(ByteString request) {
    int size = request.size();
    if (size > maxMessageSize) {
      throw Status.RESOURCE_EXHAUSTED
          .withDescription(
              "the request is " + size + " bytes, more than the broker's limit of " + maxMessageSize
                  + " bytes (PluginBrokerBuilder.maxMessageSize)")
          .asRuntimeException();
    }
  }

  /**
   * Tells the target who calls and in which chain: the broker's {@code dtac-*} metadata replaces
   * whatever the caller put under those keys, in any case ({@code DTAC-Caller} too, as a target
   * may look keys up without regard to case), so a caller cannot pose as another or forge a
   * chain. The caller is the one {@link CallChains#open} found in the context.
   */
  private static ByteString stampCaller(ByteString request, CallChains.Hop hop) {
    return ByteForwarding.stamp(
        request,
        CallerIdentity::isReservedMetadataKey,
        Map.of(
            Protocol.CALLER_METADATA, CallerIdentity.current().name(),
            Protocol.CALL_TOKEN, hop.token(),
            Protocol.CALL_CHAIN_METADATA, hop.chainText()));
  }

  private static String validate(String pluginName, String method, String action) {
    if (pluginName.isEmpty()) {
      throw invalid("plugin_name is empty; name the plugin to call, e.g. 'HelloPlugin'");
    }
    if (PluginNames.problem(pluginName) != null) {
      throw invalid(
          "plugin_name " + io.dtac.core.internal.Messages.quote(pluginName) + " cannot name a plugin: plugin"
              + " names are " + PluginNames.RULE + ", e.g. 'HelloPlugin'");
    }
    if (method.isEmpty()) {
      throw invalid("method is empty; name the endpoint path to call, e.g. 'hello'");
    }
    if (method.length() > HandshakeParser.MAX_LINE_LENGTH) {
      throw invalid("method is " + method.length() + " characters long; no endpoint path is that long");
    }
    String act = action.toLowerCase(Locale.ROOT);
    if (!io.dtac.core.Action.ofWireName(act).isPresent()) {
      throw invalid(
          "unknown action " + io.dtac.core.internal.Messages.quote(action)
              + "; expected one of " + io.dtac.core.Action.wireNames());
    }
    return act;
  }

  private LoadedPlugin resolve(String pluginName) {
    LoadedPlugin target = registry.get(pluginName);
    if (target == null) {
      throw Status.NOT_FOUND
          .withDescription(
              "plugin " + io.dtac.core.internal.Messages.quote(pluginName) + " not found; loaded: " + registry.names())
          .asRuntimeException();
    }
    if (target.state() != PluginState.RUNNING || target.stub() == null) {
      throw unavailable(target);
    }
    return target;
  }

  private static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException unavailable(LoadedPlugin target) {
    String why = target.failure() == null ? "" : ": " + target.failure();
    return Status.UNAVAILABLE
        .withDescription(
            "plugin '" + target.name() + "' is not running (" + target.state() + ")" + why)
        .asRuntimeException();
  }

  /**
   * @param process the target's process when the call was sent: the target may have been
   *     restarted since, and the caller should learn what happened to the one it called
   */
  private static StatusRuntimeException explain(
      LoadedPlugin target,
      PluginProcess process,
      String key,
      Status status,
      boolean transport,
      Deadline deadline,
      long allowedMillis) {
    boolean exited = process != null && !process.isAlive();
    boolean failed =
        target.state() == PluginState.FAILED && (process == null || target.process() == process);
    if ((exited || failed) && status.getCode() != Status.Code.DEADLINE_EXCEEDED) {
      String why = failed ? target.failure() : null;
      if (why == null && exited) {
        why = "process exited with code " + process.exitValue();
      }
      return Status.UNAVAILABLE
          .withDescription("plugin '" + target.name() + "' is not running: " + why)
          .asRuntimeException();
    }
    switch (status.getCode()) {
      case DEADLINE_EXCEEDED:
        if (!deadline.isExpired()) {
          // The target's own call ran out of time (e.g. a shorter timeout it set): its words.
          return status.asRuntimeException();
        }
        return Status.DEADLINE_EXCEEDED
            .withDescription(
                "call to plugin '" + target.name() + "' endpoint '" + key
                    + "' did not complete within its deadline of " + allowedMillis + " ms")
            .asRuntimeException();
      case UNAVAILABLE:
        if (!transport) {
          return status.asRuntimeException();
        }
        return Status.UNAVAILABLE
            .withDescription(
                "plugin '" + target.name() + "' is unavailable: " + status.getDescription())
            .withCause(status.getCause())
            .asRuntimeException();
      default:
        return status.asRuntimeException();
    }
  }
}
