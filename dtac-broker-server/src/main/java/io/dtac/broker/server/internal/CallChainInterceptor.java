package io.dtac.broker.server.internal;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.List;

/**
 * Attaches the caller's call chain to a call to the broker: a {@value CallChains#TOKEN_METADATA}
 * header must name a hop in flight to the authenticated caller, whose chain then becomes the
 * parent of the calls it makes ({@link CallChains#open}). A token that does not is refused with
 * INVALID_ARGUMENT; no header means a new chain. Must run after {@link CallerAuthInterceptor}.
 */
public final class CallChainInterceptor implements ServerInterceptor {
  private final CallChains chains;

  public CallChainInterceptor(CallChains chains) {
    this.chains = chains;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String token = headers.get(CallChains.TOKEN_HEADER);
    if (token == null) {
      return next.startCall(call, headers);
    }
    String caller = CallerIdentity.current();
    List<String> chain = chains.chainFor(token, caller);
    if (chain == null) {
      call.close(
          Status.INVALID_ARGUMENT.withDescription(
              "header " + CallChains.TOKEN_METADATA + " does not name a call in flight to plugin '"
                  + caller + "': send the token of the call being served, or none"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(
        Context.current().withValue(CallChains.PARENT, chain), call, headers, next);
  }
}
