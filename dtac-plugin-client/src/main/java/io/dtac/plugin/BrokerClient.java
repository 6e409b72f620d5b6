package io.dtac.plugin;

import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.PluginCallException;
import io.dtac.core.PluginSummary;
import io.dtac.core.Protocol;
import io.dtac.core.StatusCode;
import io.dtac.core.internal.Headers;
import io.dtac.core.internal.Protos;

import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.ListPluginsRequest;
import io.dtac.broker.api.ListPluginsResponse;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.plugin.internal.AgentPeer;
import io.dtac.plugin.internal.BrokerChannels;
import io.dtac.plugin.internal.BrokerCredential;
import io.dtac.plugin.internal.CallToken;
import io.dtac.plugin.internal.TraceContext;
import io.dtac.plugin.internal.TlsEnvironment;
import io.dtac.plugin.internal.UnixSockets;
import io.grpc.ChannelCredentials;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A connection to the agent's broker ({@code AgentService}), for calling other plugins.
 *
 * <p>Create one per plugin process and share it: it holds one long-lived gRPC channel, is
 * thread-safe, and reconnects by itself if the agent restarts its broker. {@link PluginBase}
 * creates and owns one when the agent registers the plugin, so plugin authors seldom build one
 * themselves. {@link #close()} releases the channel; calls after it fail with UNAVAILABLE.
 *
 * <p>Calls block the calling thread. When made from inside an endpoint, the incoming call's
 * deadline and cancellation carry over to the outgoing call, and so does its place in the call
 * chain (the broker's call token), so the broker can refuse call cycles. All three travel in the
 * gRPC {@code Context}: work handed to another thread keeps them if the context goes with it
 * ({@code Context.currentContextExecutor(executor)}).
 *
 * <p>A call fails with a {@link PluginCallException} when the broker answers with an error
 * status, and also when it answers OK with {@code PluginCallResponse.error} set, as the existing
 * Go agent's broker reports failures (code UNKNOWN, that broker's message as description).
 */
public final class BrokerClient implements AutoCloseable {
  private final String address;
  private final ManagedChannel channel;
  private final AgentServiceGrpc.AgentServiceBlockingStub stub;
  private final AgentServiceGrpc.AgentServiceFutureStub futureStub;
  private final Duration defaultTimeout;

  /**
   * How long a call waits by default when neither the caller nor the endpoint call being served
   * set a deadline: 60 s, longer than the broker's own default (30 s), so that normally the
   * broker's answer, which names the target, arrives first; and finite, so that a call to a hung
   * agent does not wait forever.
   */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  private BrokerClient(String address, ChannelCredentials credentials, String credential, Duration defaultTimeout) {
    this.address = address;
    this.defaultTimeout = defaultTimeout;
    this.channel =
        BrokerChannels.routed(address)
            .orElseGet(() -> UnixSockets.channelBuilder(target(address), credentials))
            .build();
    AgentServiceGrpc.AgentServiceBlockingStub s =
        AgentServiceGrpc.newBlockingStub(channel).withInterceptors(CallToken.interceptor(), TraceContext.interceptor());
    AgentServiceGrpc.AgentServiceFutureStub f =
        AgentServiceGrpc.newFutureStub(channel).withInterceptors(CallToken.interceptor(), TraceContext.interceptor());
    // Only where the agent identifies callers by credential (it hands it over on stdin); where
    // the kernel attests callers (Linux) there is none and the header is not sent.
    if (credential != null && !credential.isEmpty()) {
      Metadata headers = new Metadata();
      headers.put(Headers.CREDENTIAL, credential);
      s = s.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
      f = f.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    this.stub = s;
    this.futureStub = f;
  }

  /**
   * Connects to the broker at {@code address} ("host:port", or "unix:PATH"), presenting the
   * credential the agent handed over at launch, if any. Under a dtac-broker agent ({@code
   * DTAC_AGENT_PID} set) on Linux, a connection whose server is not the agent process fails
   * (UNAVAILABLE) before a call is sent. When the agent set {@code
   * DTAC_TLS_CA} (the agent's certificate), the connection is TLS accepting exactly that
   * certificate as the broker's, with the plugin's {@code
   * DTAC_TLS_CERT}/{@code DTAC_TLS_KEY} as client certificate; otherwise it is plaintext. The
   * connection is made lazily, on the first call.
   *
   * @param address the broker's address, as the agent gives it in {@code InitBroker}
   * @return a new client; the caller owns it and closes it
   * @throws IllegalArgumentException if the address is empty, or the TLS environment is
   *     incomplete or unreadable
   */
  public static BrokerClient connect(String address) {
    return builder(address).build();
  }

  /**
   * Starts configuring a client for the broker at {@code address}, for credentials other than
   * the environment's (tests, tools); {@link #connect(String)} is the builder with its defaults.
   *
   * @param address the broker's address: "host:port", or "unix:PATH"; checked by {@link
   *     Builder#build()}
   * @return a new builder
   */
  public static Builder builder(String address) {
    return new Builder(address);
  }

  /** Configures a {@link BrokerClient}. Not thread-safe; {@link #build()} may be called again. */
  public static final class Builder {
    private final String address;
    private ChannelCredentials channelCredentials;
    private String credential = BrokerCredential.get();
    private Duration defaultTimeout = DEFAULT_TIMEOUT;

    private Builder(String address) {
      this.address = address;
    }

    /**
     * Sets the channel credentials, replacing what the agent's environment says (TLS with a
     * client certificate when {@code DTAC_TLS_CA} is set, plaintext otherwise). With them, the
     * broker process is not checked against {@code DTAC_AGENT_PID} either.
     *
     * @param credentials the gRPC credentials of the connection: a gRPC type, since choosing the
     *     transport's security is the point of this method
     * @return this builder
     * @throws NullPointerException if {@code credentials} is null
     */
    public Builder channelCredentials(ChannelCredentials credentials) {
      this.channelCredentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /**
     * How long calls wait when neither the caller nor the endpoint call being served set a
     * deadline; default {@link BrokerClient#DEFAULT_TIMEOUT}.
     *
     * @param timeout positive
     * @return this builder
     * @throws IllegalArgumentException if it is not positive
     */
    public Builder defaultTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("defaultTimeout must be positive, got " + timeout);
      }
      this.defaultTimeout = timeout;
      return this;
    }

    /**
     * Sets the broker credential to present on every call, replacing the one the agent handed
     * over at launch (if any).
     *
     * @param credential the credential, or null or empty to present none
     * @return this builder
     */
    public Builder credential(String credential) {
      this.credential = credential;
      return this;
    }

    /**
     * Creates the client. It connects lazily, on its first call.
     *
     * @return a new client; the caller owns it and closes it
     * @throws IllegalArgumentException if the address is empty, or the TLS environment is
     *     incomplete or unreadable
     */
    public BrokerClient build() {
      if (address == null || address.isBlank()) {
        throw new IllegalArgumentException("broker address is empty: the agent has no broker");
      }
      ChannelCredentials tls =
          channelCredentials != null
              ? channelCredentials
              : brokerCredentials(System.getenv());
      return new BrokerClient(address.trim(), tls, credential, defaultTimeout);
    }
  }

  /** The environment's TLS settings, checking that the broker is the agent when launched by one. */
  private static ChannelCredentials brokerCredentials(java.util.Map<String, String> env) {
    ChannelCredentials tls = TlsEnvironment.channelCredentials(env);
    return env.containsKey(Protocol.ENV_AGENT_PID) ? AgentPeer.of(env).brokerCredentials(tls) : tls;
  }

  private static String target(String address) {
    return address.startsWith(Protocol.UNIX_ADDRESS_PREFIX) ? address : "dns:///" + address;
  }

  /**
   * The broker address this client talks to.
   *
   * @return the address as given, without surrounding white space
   */
  public String address() {
    return address;
  }

  /**
   * Calls endpoint {@code (method, action)} of plugin {@code pluginName} through the broker,
   * with the broker's default deadline (or the current endpoint call's, if earlier). Blocks the
   * calling thread until the answer arrives.
   *
   * @param pluginName the target plugin's name, e.g. "HelloPlugin"
   * @param method the endpoint's path, e.g. "hello"
   * @param action the endpoint's action
   * @param request what to send; null sends an empty request
   * @return the target's answer
   * @throws PluginCallException with the broker's or the target's status if the call failed:
   *     NOT_FOUND, PERMISSION_DENIED, UNAVAILABLE, DEADLINE_EXCEEDED, FAILED_PRECONDITION (a call
   *     cycle or too deep a chain), or the status the target answered with
   * @throws NullPointerException if {@code pluginName}, {@code method} or {@code action} is null
   */
  public Response call(String pluginName, String method, Action action, Request request)
      throws PluginCallException {
    return call(pluginName, method, action, request, null);
  }

  /**
   * Same as {@link #call(String, String, Action, Request)}, failing with DEADLINE_EXCEEDED when
   * {@code timeout} passes first. The current endpoint call's deadline still applies when it is
   * earlier. Blocks the calling thread.
   *
   * @param pluginName the target plugin's name
   * @param method the endpoint's path
   * @param action the endpoint's action
   * @param request what to send; null sends an empty request
   * @param timeout how long to wait for the answer; null: the broker's default
   * @return the target's answer
   * @throws PluginCallException with the broker's or the target's status if the call failed;
   *     DEADLINE_EXCEEDED naming the target and the deadline when the time runs out first
   * @throws NullPointerException if {@code pluginName}, {@code method} or {@code action} is null
   */
  public Response call(
      String pluginName, String method, Action action, Request request, Duration timeout)
      throws PluginCallException {
    PluginCallRequest call = callRequest(pluginName, method, action, request);
    AgentServiceGrpc.AgentServiceBlockingStub s = withDeadline(stub, timeout);
    Deadline deadline = earliest(s.getCallOptions().getDeadline(), Context.current().getDeadline());
    long allowedMillis =
        deadline == null ? 0 : (deadline.timeRemaining(TimeUnit.NANOSECONDS) + 999_999) / 1_000_000;
    try {
      return answer(s.callPlugin(call));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED
          && deadline != null
          && deadline.isExpired()) {
        // The deadline ran out here, before the broker's answer (which names the target) came.
        throw new PluginCallException(
            StatusCode.DEADLINE_EXCEEDED,
            "call to plugin '" + pluginName + "' endpoint '" + call.getAction() + ":" + method
                + "' did not complete within its deadline of " + allowedMillis + " ms",
            e);
      }
      throw Protos.toException(e);
    }
  }

  /**
   * Like {@link #call(String, String, Action, Request, Duration)}, without blocking a thread: the
   * future completes on the channel's transport thread when the answer arrives (keep stages short
   * there, or use the {@code *Async} stages with an executor of your own), and fails with a
   * {@link PluginCallException}. The current {@code Context}'s deadline, cancellation and call
   * token carry over as for {@code call}. Cancelling the future cancels the call, and the broker
   * cancels the target's work.
   *
   * @param pluginName the target plugin's name
   * @param method the endpoint's path
   * @param action the endpoint's action
   * @param request what to send; null sends an empty request
   * @param timeout how long to wait for the answer; null: the current context's deadline, else
   *     the broker's default
   * @return a future of the target's answer, failing with a {@link PluginCallException}
   * @throws NullPointerException if {@code pluginName}, {@code method} or {@code action} is null
   */
  public CompletableFuture<Response> callAsync(
      String pluginName, String method, Action action, Request request, Duration timeout) {
    PluginCallRequest call = callRequest(pluginName, method, action, request);
    AgentServiceGrpc.AgentServiceFutureStub s = withDeadline(futureStub, timeout);
    com.google.common.util.concurrent.ListenableFuture<io.dtac.broker.api.PluginCallResponse> sent = s.callPlugin(call);
    CompletableFuture<Response> result = new CompletableFuture<>() {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        // This future first: the call then fails with CANCELLED into a future already done,
        // so cancel returns true and the future is cancelled, as CompletableFuture promises.
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        sent.cancel(true);
        return cancelled;
      }
    };
    com.google.common.util.concurrent.Futures.addCallback(
        sent,
        new com.google.common.util.concurrent.FutureCallback<io.dtac.broker.api.PluginCallResponse>() {
          @Override
          public void onSuccess(io.dtac.broker.api.PluginCallResponse r) {
            try {
              result.complete(answer(r));
            } catch (PluginCallException e) {
              result.completeExceptionally(e);
            }
          }

          @Override
          public void onFailure(Throwable t) {
            result.completeExceptionally(Protos.toException(t));
          }
        },
        com.google.common.util.concurrent.MoreExecutors.directExecutor());
    return result;
  }

  /**
   * Like {@link #callAsync(String, String, Action, Request, Duration)} with the default deadline.
   *
   * @param pluginName the target plugin's name
   * @param method the endpoint's path
   * @param action the endpoint's action
   * @param request what to send; null sends an empty request
   * @return a future of the target's answer, failing with a {@link PluginCallException}
   * @throws NullPointerException if {@code pluginName}, {@code method} or {@code action} is null
   */
  public CompletableFuture<Response> callAsync(String pluginName, String method, Action action, Request request) {
    return callAsync(pluginName, method, action, request, null);
  }

  private static PluginCallRequest callRequest(String pluginName, String method, Action action, Request request) {
    return PluginCallRequest.newBuilder()
        .setPluginName(Objects.requireNonNull(pluginName, "pluginName"))
        .setMethod(Objects.requireNonNull(method, "method"))
        .setAction(Objects.requireNonNull(action, "action").wireName())
        .setRequest(Protos.toProto(request == null ? Request.empty() : request))
        .build();
  }

  /**
   * The response of an answered call. An agent with the existing Go broker answers a failed call
   * with an OK status and the failure in {@code PluginCallResponse.error}: that is a failure too,
   * never an empty success. Its code is UNKNOWN, as that broker gives none; its description is
   * that broker's message.
   */
  private static Response answer(io.dtac.broker.api.PluginCallResponse r) throws PluginCallException {
    if (!r.getError().isEmpty()) {
      throw new PluginCallException(StatusCode.UNKNOWN, r.getError());
    }
    return Protos.fromProto(r.getResponse());
  }

  /**
   * {@code stub} with {@code timeout}; without one, with the default timeout unless the current
   * context (the endpoint call being served) has a deadline, which gRPC applies by itself.
   */
  private <S extends io.grpc.stub.AbstractStub<S>> S withDeadline(S stub, Duration timeout) {
    if (timeout != null) {
      return stub.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    if (Context.current().getDeadline() == null) {
      return stub.withDeadlineAfter(defaultTimeout.toNanos(), TimeUnit.NANOSECONDS);
    }
    return stub;
  }

  private static Deadline earliest(Deadline a, Deadline b) {
    if (a == null) {
      return b;
    }
    return b == null ? a : a.minimum(b);
  }

  /**
   * Lists the loaded plugins this caller may see (the access policy hides the others). Blocks
   * the calling thread.
   *
   * @return their names, in load order
   * @throws PluginCallException if the broker cannot be reached (UNAVAILABLE) or refuses the
   *     caller
   */
  public List<String> listPlugins() throws PluginCallException {
    return list().getPluginsList();
  }

  /**
   * Describes the loaded plugins this caller may see, with the endpoints it may call. Blocks the
   * calling thread.
   *
   * @return each plugin's name, root path, state and endpoints, in load order
   * @throws PluginCallException if the broker cannot be reached (UNAVAILABLE) or refuses the
   *     caller
   */
  public List<PluginSummary> describePlugins() throws PluginCallException {
    return list().getDetailsList().stream().map(Protos::fromProto).toList();
  }

  private ListPluginsResponse list() throws PluginCallException {
    try {
      return withDeadline(stub, null).listPlugins(ListPluginsRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      throw Protos.toException(e);
    }
  }

  /**
   * Closes the connection, waiting up to 5 seconds for calls in flight. Idempotent. If the
   * calling thread is interrupted, the channel is closed at once and the interrupt flag restored.
   */
  @Override
  public void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "BrokerClient[" + address + "]";
  }
}
