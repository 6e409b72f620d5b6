package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import io.dtac.core.internal.Headers;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.List;
import java.util.Objects;

/**
 * Attaches the caller's call chain to a call to the broker: a {@value CallChains#TOKEN_METADATA}
 * header must name a hop in flight to the authenticated caller, whose chain then becomes the
 * parent of the calls it makes ({@link CallChains#open}). A token that does not is refused with
 * INVALID_ARGUMENT, and a refused {@code CallPlugin} is audited (rule {@value
 * Refusals#CALL_CHAIN}); no header means a new chain. Must run after the authentication
 * interceptor.
 */
public final class CallChainInterceptor implements ServerInterceptor {
  private final CallChains chains;
  private final AuditLog audit;

  /** @param audit where refused CallPlugin calls are recorded */
  public CallChainInterceptor(CallChains chains, AuditLog audit) {
    this.chains = chains;
    this.audit = Objects.requireNonNull(audit, "audit");
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String token = headers.get(Headers.CALL_TOKEN);
    if (token == null) {
      return next.startCall(call, headers);
    }
    long started = System.nanoTime();
    CallerIdentity caller = CallerIdentity.current();
    List<String> chain =
        caller == null || caller.isHost() ? null : chains.chainFor(token, caller.name());
    if (chain == null) {
      Refusals.refuse(
          call,
          Status.INVALID_ARGUMENT.withDescription(
              "header " + Protocol.CALL_TOKEN + " does not name a call in flight to "
                  + (caller == null ? "an unauthenticated caller" : "plugin '" + caller.name() + "'")
                  + ": send the token of the call being served, or none"),
          Refusals.CALL_CHAIN,
          audit,
          started);
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(
        Context.current().withValue(CallChains.PARENT, chain), call, headers, next);
  }
}
