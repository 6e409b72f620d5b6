package io.dtac.broker.server.internal;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.common.util.concurrent.SettableFuture;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.EndpointResponseMessage;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.server.PluginState;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Routes one call to a plugin endpoint: finds the target plugin and endpoint, forwards the
 * request to the target's {@code PluginService.Call} with method key {@code ACTION:PATH}, and
 * turns every failure into a status a person can act on. Never blocks: the answer is a future
 * completed on a gRPC thread.
 */
public final class CallRouter {
  private static final Set<String> ACTIONS = Set.of("create", "read", "write", "delete");

  private final PluginRegistry registry;
  private final Duration defaultTimeout;

  public CallRouter(PluginRegistry registry, Duration defaultTimeout) {
    this.registry = registry;
    this.defaultTimeout = defaultTimeout;
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
    LoadedPlugin target;
    String key;
    try {
      String act = validate(pluginName, method, action);
      target = resolve(pluginName);
      key = act + ":" + method;
      if (target.endpoint(key) == null) {
        throw Status.NOT_FOUND
            .withDescription(
                "plugin '" + pluginName + "' has no endpoint '" + key + "'; endpoints: "
                    + target.endpointKeys())
            .asRuntimeException();
      }
    } catch (StatusRuntimeException e) {
      return Futures.immediateFailedFuture(e);
    }
    PluginServiceGrpc.PluginServiceFutureStub stub = target.stub();
    Deadline deadline = Context.current().getDeadline();
    if (deadline == null) {
      deadline = Deadline.after(defaultTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    long allowedMillis = deadline.timeRemaining(TimeUnit.MILLISECONDS);
    ListenableFuture<EndpointResponseMessage> sent =
        stub.withDeadline(deadline)
            .call(
                EndpointRequestMessage.newBuilder()
                    .setMethod(key)
                    .setRequest(stampCaller(request))
                    .build());
    SettableFuture<EndpointResponse> result = SettableFuture.create();
    String callKey = key;
    Futures.addCallback(
        sent,
        new FutureCallback<>() {
          @Override
          public void onSuccess(EndpointResponseMessage reply) {
            result.set(reply.getResponse());
          }

          @Override
          public void onFailure(Throwable t) {
            result.setException(explain(target, callKey, Status.fromThrowable(t), allowedMillis));
          }
        },
        MoreExecutors.directExecutor());
    return result;
  }

  /**
   * Tells the target who calls: the broker's {@code dtac-*} metadata replaces whatever the caller
   * put under those keys, so a caller cannot pose as another.
   */
  private static EndpointRequest stampCaller(EndpointRequest request) {
    EndpointRequest.Builder b = request.toBuilder();
    for (String k : request.getMetadataMap().keySet()) {
      if (k.startsWith(CallerIdentity.RESERVED_PREFIX)) {
        b.removeMetadata(k);
      }
    }
    return b.putMetadata(CallerIdentity.CALLER_METADATA, CallerIdentity.current()).build();
  }

  private static String validate(String pluginName, String method, String action) {
    if (pluginName.isEmpty()) {
      throw invalid("plugin_name is empty; name the plugin to call, e.g. 'HelloPlugin'");
    }
    if (method.isEmpty()) {
      throw invalid("method is empty; name the endpoint path to call, e.g. 'hello'");
    }
    String act = action.toLowerCase(Locale.ROOT);
    if (!ACTIONS.contains(act)) {
      throw invalid(
          "unknown action '" + action + "'; expected one of create, read, write, delete");
    }
    return act;
  }

  private LoadedPlugin resolve(String pluginName) {
    LoadedPlugin target = registry.get(pluginName);
    if (target == null) {
      throw Status.NOT_FOUND
          .withDescription(
              "plugin '" + pluginName + "' not found; loaded: " + registry.names())
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

  private static StatusRuntimeException explain(
      LoadedPlugin target, String key, Status status, long allowedMillis) {
    PluginProcess process = target.process();
    boolean gone =
        target.state() == PluginState.FAILED || (process != null && !process.isAlive());
    if (gone && status.getCode() != Status.Code.DEADLINE_EXCEEDED) {
      String why = target.failure();
      if (why == null && process != null && !process.isAlive()) {
        why = "process exited with code " + process.onExit().getNow(-1);
      }
      return Status.UNAVAILABLE
          .withDescription("plugin '" + target.name() + "' is not running: " + why)
          .asRuntimeException();
    }
    switch (status.getCode()) {
      case DEADLINE_EXCEEDED:
        return Status.DEADLINE_EXCEEDED
            .withDescription(
                "call to plugin '" + target.name() + "' endpoint '" + key
                    + "' did not complete within its deadline of " + allowedMillis + " ms")
            .asRuntimeException();
      case UNAVAILABLE:
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
