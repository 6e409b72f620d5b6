package io.dtac.broker.server.internal;

import io.dtac.core.internal.Headers;
import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.server.AccessPolicy;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The broker's call path wired as PluginBroker wires it ({@link AgentServiceChain}: metadata
 * limit, credential check, call chains, request guard; then access policy, audit, router), served in-process over {@link FakePlugins}: for fast tests of policy and audit.
 */
final class InProcessBroker implements AutoCloseable {
  final FakePlugins plugins = new FakePlugins();
  final CredentialStore credentials = new CredentialStore();
  final AuditLog audit;
  final CallGate gate;
  private final Server server;
  private final ManagedChannel channel;

  /** @param auditFile null: audit records to the log only */
  InProcessBroker(PolicyEngine policy, Path auditFile) throws IOException {
    audit = new AuditLog(auditFile);
    audit.open();
    CallChains chains = new CallChains(CallChains.DEFAULT_MAX_DEPTH);
    gate =
        new CallGate(
            new CallRouter(plugins.registry, Duration.ofSeconds(10), chains, new ShutdownGate(), Integer.MAX_VALUE),
            policy,
            audit);
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                AgentServiceChain.of(
                    new AgentServiceImpl(gate, plugins.registry),
                    new CallerAuthInterceptor(credentials, audit),
                    chains,
                    audit))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  InProcessBroker(AccessPolicy policy) throws IOException {
    this(PolicyEngine.fixed(policy), null);
  }

  /** Calls the gate as the host does ({@code PluginBroker.call}). */
  EndpointResponse hostCall(String target, String method, String action) throws Exception {
    return CallerIdentity.asHost(Context.current())
        .call(() -> gate.call(target, method, action, EndpointRequest.getDefaultInstance()))
        .get();
  }

  /** A credential bound to {@code pluginName}, as the launcher binds one after a handshake. */
  String credentialFor(String pluginName) {
    String c = credentials.issue();
    credentials.bind(c, pluginName);
    return c;
  }

  /** A stub presenting {@code credential}; null presents none. */
  AgentServiceGrpc.AgentServiceBlockingStub stub(String credential) {
    AgentServiceGrpc.AgentServiceBlockingStub s = AgentServiceGrpc.newBlockingStub(channel);
    if (credential == null) {
      return s;
    }
    Metadata headers = new Metadata();
    headers.put(Headers.CREDENTIAL, credential);
    return s.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  @Override
  public void close() {
    try {
      closeAll();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeAll() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    plugins.close();
    audit.close();
  }
}
