package io.dtac.broker.server.internal;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.internal.observability.BrokerMetrics;
import io.dtac.broker.server.internal.observability.CallTracing;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * The front door of every brokered call, whether a plugin made it over {@code AgentService} or
 * the host through {@code PluginBroker.call}: checks the access policy, hands allowed calls to the
 * {@link CallRouter}, and writes exactly one audit record per call when its answer is known.
 *
 * <p>It sits in front of the router rather than in a gRPC interceptor because host calls never
 * cross gRPC, and they too must be audited. The caller is {@link CallerIdentity#current()}: a
 * plugin established by the authentication interceptor, or the host marked by {@code
 * PluginBroker.call}. A call with no identity is refused UNAUTHENTICATED (and audited), never
 * taken for the host. Thread-safe; never blocks.
 */
public final class CallGate {
  private final CallRouter router;
  private final PolicyEngine policy;
  private final AuditLog audit;
  private final CallTracing tracing;
  private final BrokerMetrics metrics;
  private final CallLimits limits;

  public CallGate(CallRouter router, PolicyEngine policy, AuditLog audit) {
    this(router, policy, audit, CallTracing.NONE, BrokerMetrics.NONE);
  }

  /** Without rate limits; see {@link #CallGate(CallRouter, PolicyEngine, AuditLog, CallTracing, BrokerMetrics, CallLimits)}. */
  public CallGate(
      CallRouter router, PolicyEngine policy, AuditLog audit, CallTracing tracing, BrokerMetrics metrics) {
    this(router, policy, audit, tracing, metrics,
        new CallLimits(io.dtac.broker.server.RateLimit.UNLIMITED, io.dtac.broker.server.RateLimit.UNLIMITED, t -> false));
  }

  /**
   * @param tracing starts a span per call that has a caller (allowed or denied)
   * @param metrics measures calls in flight; outcomes it learns from the audit log
   * @param limits admits allowed calls, or refuses those over a rate limit (audited as such)
   */
  public CallGate(
      CallRouter router, PolicyEngine policy, AuditLog audit, CallTracing tracing, BrokerMetrics metrics,
      CallLimits limits) {
    this.limits = limits;
    this.router = router;
    this.policy = policy;
    this.audit = audit;
    this.tracing = tracing;
    this.metrics = metrics;
  }

  /** The policy in force. */
  public PolicyEngine policy() {
    return policy;
  }

  /**
   * Routes a call from the current caller if the policy allows it.
   *
   * @return a future failing with PERMISSION_DENIED when the policy refuses the call, else the
   *     router's answer
   */
  public ListenableFuture<EndpointResponse> call(
      String pluginName, String method, String action, EndpointRequest request) {
    return call(pluginName, method, action, request, null);
  }

  /** Like {@link #call(String, String, String, EndpointRequest)}, with a timeout (null: none given). */
  public ListenableFuture<EndpointResponse> call(
      String pluginName, String method, String action, EndpointRequest request, Duration timeout) {
    return Futures.transform(
        forward(pluginName, method, action, request.toByteString(), timeout),
        ByteForwarding::endpointResponse,
        MoreExecutors.directExecutor());
  }

  /**
   * Like {@link #call(String, String, String, EndpointRequest, Duration)} with the request and
   * the answer as bytes ({@link ByteForwarding}): what {@code AgentService} forwards.
   *
   * @param request an EndpointRequest's bytes, checked as {@link ByteForwarding} parses them
   * @return a future of the target's EndpointResponse's bytes
   */
  public ListenableFuture<ByteString> forward(
      String pluginName, String method, String action, ByteString request, Duration timeout) {
    CallerIdentity identity = CallerIdentity.current();
    long started = System.nanoTime();
    String time = Instant.now().toString();
    String callId = audit.nextCallId();
    if (identity == null) {
      audit.record(
          record(time, callId, CallerIdentity.UNAUTHENTICATED, pluginName, method, action, "deny",
              Refusals.NO_IDENTITY, Status.Code.UNAUTHENTICATED, started,
              request.size(), 0, ""));
      return Futures.immediateFailedFuture(
          Status.UNAUTHENTICATED
              .withDescription(
                  "the call carries no caller identity: plugins call through the broker's"
                      + " authenticated AgentService, the host through PluginBroker.call")
              .asRuntimeException());
    }
    String caller = identity.name();
    if (audit.behind()) {
      audit.record(
          record(time, callId, caller, pluginName, method, action, "deny", Refusals.AUDIT_BACKLOG,
              Status.Code.RESOURCE_EXHAUSTED, started, request.size(), 0, ""));
      return Futures.immediateFailedFuture(
          Status.RESOURCE_EXHAUSTED
              .withDescription("the broker's audit trail is too far behind to record the call (its disk is"
                  + " slow or stalled); calls are refused until it catches up; retry later")
              .asRuntimeException());
    }
    CallTracing.Span span = tracing.start(callId, caller, pluginName, method, action);
    AccessPolicy.Decision decision = policy.decide(identity, pluginName, action, method);
    String rule = decision == null ? "host" : decision.ruleId();
    if (decision != null && !decision.allowed()) {
      span.end(Status.Code.PERMISSION_DENIED);
      audit.record(
          record(time, callId, caller, pluginName, method, action, "deny", rule,
              Status.Code.PERMISSION_DENIED, started, request.size(), 0, span.traceId()));
      return Futures.immediateFailedFuture(
          PolicyEngine.denied(decision, caller, pluginName, action, method));
    }
    CallLimits.Permit permit;
    try {
      permit = limits.admit(caller, pluginName, decision == null ? null : decision.rule().orElse(null));
    } catch (StatusRuntimeException overLimit) {
      span.end(Status.Code.RESOURCE_EXHAUSTED);
      audit.record(
          record(time, callId, caller, pluginName, method, action, "deny", Refusals.RATE_LIMIT,
              Status.Code.RESOURCE_EXHAUSTED, started, request.size(), 0, span.traceId()));
      return Futures.immediateFailedFuture(overLimit);
    }
    BrokerMetrics.InFlight inFlight = metrics.callStarted(caller, pluginName, method, action);
    ListenableFuture<ByteString> routed =
        router.forward(pluginName, method, action, request, timeout, span.outgoingHeaders());
    Futures.addCallback(
        routed,
        new FutureCallback<ByteString>() {
          @Override
          public void onSuccess(ByteString response) {
            done(Status.Code.OK, response.size());
          }

          @Override
          public void onFailure(Throwable t) {
            done(Status.fromThrowable(t).getCode(), 0);
          }

          private void done(Status.Code code, long responseBytes) {
            permit.release();
            inFlight.end();
            span.end(code);
            audit.record(
                record(time, callId, caller, pluginName, method, action, "allow", rule, code, started,
                    request.size(), responseBytes, span.traceId()));
          }
        },
        MoreExecutors.directExecutor());
    return routed;
  }

  private static AuditRecord record(
      String time, String callId, String caller, String target, String method, String action,
      String decision, String rule, Status.Code code, long startedNanos, long requestBytes,
      long responseBytes, String traceId) {
    return new AuditRecord(
        time, callId, caller, target, method, action.toLowerCase(Locale.ROOT), decision, rule,
        code.name(), (System.nanoTime() - startedNanos) / 1_000, requestBytes, responseBytes, traceId);
  }
}
