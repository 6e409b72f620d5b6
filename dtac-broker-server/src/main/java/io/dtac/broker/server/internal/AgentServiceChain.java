package io.dtac.broker.server.internal;

import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import java.util.ArrayList;
import java.util.List;

/**
 * The broker's {@code AgentService} with its checks, in the order they run on a call: the
 * metadata limit, then authentication, then the call-chain check, then the request guard around
 * the service, whose {@link CallGate} decides the policy and audits. Each step that refuses a
 * {@code CallPlugin} writes its one audit record and stops the call, so no later step sees it.
 */
public final class AgentServiceChain {
  private AgentServiceChain() {}

  /**
   * @param authentication establishes the caller ({@link CallerIdentity#withCaller}) or refuses
   *     and audits the call itself
   */
  public static ServerServiceDefinition of(
      AgentServiceImpl service,
      ServerInterceptor authentication,
      CallChains chains,
      AuditLog audit) {
    return of(service, authentication, chains, audit, null);
  }

  /**
   * Like {@link #of(AgentServiceImpl, ServerInterceptor, CallChains, AuditLog)}, reading the
   * caller's trace context right after the metadata limit.
   *
   * @param tracing reads the caller's trace context from its headers; null when not tracing
   */
  public static ServerServiceDefinition of(
      AgentServiceImpl service,
      ServerInterceptor authentication,
      CallChains chains,
      AuditLog audit,
      ServerInterceptor tracing) {
    List<ServerInterceptor> chain = new ArrayList<>();
    // ServerInterceptors.intercept runs the last interceptor first.
    chain.add(new CallChainInterceptor(chains, audit));
    chain.add(authentication);
    if (tracing != null) {
      chain.add(tracing);
    }
    chain.add(new MetadataLimitInterceptor(audit));
    return ServerInterceptors.intercept(RequestGuard.guard(service.forwardingService(), audit), chain);
  }
}
