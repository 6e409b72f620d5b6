package io.dtac.broker.server.internal;

import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.EndpointResponseMessage;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.server.AccessPolicy;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The broker's whole call path assembled as PluginBroker assembles it (request guard, metadata
 * limit, credential check, call chains, access policy gate, audit, router), served in-process, with an in-process "Echo" plugin that
 * answers {@code read:echo} and {@code create:echo} with the request's body and metadata. A raw
 * client sends arbitrary bytes as an authenticated plugin ("Caller").
 */
final class GuardedBroker implements AutoCloseable {
  static final MethodDescriptor.Marshaller<byte[]> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream in) {
          try {
            return in.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };
  static final MethodDescriptor<byte[], byte[]> CALL_PLUGIN =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("plugin.AgentService/CallPlugin")
          .setRequestMarshaller(RAW)
          .setResponseMarshaller(RAW)
          .build();

  final PluginRegistry registry = new PluginRegistry(List.of());
  final CredentialStore credentials = new CredentialStore();
  final CallChains chains = new CallChains(CallChains.DEFAULT_MAX_DEPTH);
  final ShutdownGate gate = new ShutdownGate();
  final CallRouter router;
  final AuditLog audit = new AuditLog(null);
  final String credential;
  private final Server plugin;
  private final ManagedChannel pluginChannel;
  private final Server broker;
  private final ManagedChannel brokerChannel;

  GuardedBroker(int maxMessageSize) throws IOException {
    String pluginName = InProcessServerBuilder.generateName();
    plugin = InProcessServerBuilder.forName(pluginName).addService(new Echo()).build().start();
    pluginChannel = InProcessChannelBuilder.forName(pluginName).build();
    LoadedPlugin echo = new LoadedPlugin("Echo", "echo", null);
    registry.add(echo);
    registry.connected(echo, null, pluginChannel);
    registry.running(
        echo,
        List.of(
            PluginEndpoint.newBuilder().setAction("read").setPath("echo").build(),
            PluginEndpoint.newBuilder().setAction("create").setPath("echo").build()),
        "echo");
    router = new CallRouter(registry, Duration.ofSeconds(5), chains, gate, maxMessageSize);
    credential = credentials.issue();
    credentials.bind(credential, "Caller");
    String brokerName = InProcessServerBuilder.generateName();
    broker =
        InProcessServerBuilder.forName(brokerName)
            .maxInboundMessageSize(maxMessageSize)
            .addService(
                RequestGuard.guard(
                    ServerInterceptors.intercept(
                        new AgentServiceImpl(
                            new CallGate(router, PolicyEngine.fixed(AccessPolicy.allowAll()), audit), registry),
                        new CallChainInterceptor(chains),
                        new CallerAuthInterceptor(credentials, audit),
                        new MetadataLimitInterceptor())))
            .build()
            .start();
    brokerChannel = InProcessChannelBuilder.forName(brokerName).build();
  }

  /** Sends {@code message} as Caller with {@code extra} headers; answers the status (OK on success). */
  Status callRaw(byte[] message, Metadata extra) {
    Metadata headers = new Metadata();
    headers.put(CallerAuthInterceptor.CREDENTIAL_HEADER, credential);
    headers.merge(extra);
    try {
      ClientCalls.blockingUnaryCall(
          io.grpc.ClientInterceptors.intercept(
              brokerChannel, MetadataUtils.newAttachHeadersInterceptor(headers)),
          CALL_PLUGIN,
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          message);
      return Status.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }

  @Override
  public void close() {
    brokerChannel.shutdownNow();
    broker.shutdownNow();
    pluginChannel.shutdownNow();
    plugin.shutdownNow();
  }

  private static final class Echo extends PluginServiceGrpc.PluginServiceImplBase {
    @Override
    public void call(EndpointRequestMessage request, StreamObserver<EndpointResponseMessage> out) {
      out.onNext(
          EndpointResponseMessage.newBuilder()
              .setResponse(
                  EndpointResponse.newBuilder()
                      .putAllMetadata(request.getRequest().getMetadataMap())
                      .setValue(request.getRequest().getBody()))
              .build());
      out.onCompleted();
    }
  }
}
