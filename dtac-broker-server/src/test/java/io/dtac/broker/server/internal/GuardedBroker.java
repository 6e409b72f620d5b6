package io.dtac.broker.server.internal;

import io.dtac.core.internal.Headers;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The broker's whole call path assembled as PluginBroker assembles it ({@link AgentServiceChain}:
 * metadata limit, credential check, call chains, request guard, access policy gate, audit, router),
 * served in-process, with an in-process "Echo" plugin that
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
  final AuditLog audit;
  final String credential;
  /** How many calls the Echo plugin has received. */
  final AtomicInteger echoCalls = new AtomicInteger();
  private final Server plugin;
  private final ManagedChannel pluginChannel;
  private final Server broker;
  private final ManagedChannel brokerChannel;

  GuardedBroker(int maxMessageSize) throws IOException {
    this(maxMessageSize, null);
  }

  /** @param auditFile where audit records go (written by {@link #close()}); null: the log only */
  GuardedBroker(int maxMessageSize, Path auditFile) throws IOException {
    audit = new AuditLog(auditFile);
    audit.open();
    String pluginName = InProcessServerBuilder.generateName();
    plugin = InProcessServerBuilder.forName(pluginName).addService(new Echo(echoCalls)).build().start();
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
            .directExecutor()
            .maxInboundMessageSize(maxMessageSize)
            .addService(
                AgentServiceChain.of(
                    new AgentServiceImpl(
                        new CallGate(router, PolicyEngine.fixed(AccessPolicy.allowAll()), audit), registry),
                    new CallerAuthInterceptor(credentials, audit),
                    chains,
                    audit))
            .build()
            .start();
    brokerChannel = InProcessChannelBuilder.forName(brokerName).build();
  }

  /** Sends {@code message} as Caller with {@code extra} headers; answers the status (OK on success). */
  Status callRaw(byte[] message, Metadata extra) {
    Metadata headers = new Metadata();
    headers.put(Headers.CREDENTIAL, credential);
    headers.merge(extra);
    return callRawWith(message, headers);
  }

  /** Sends {@code message} with exactly {@code headers} (no credential unless they hold one). */
  Status callRawWith(byte[] message, Metadata headers) {
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

  /** Stops the servers and writes every audit record to the file. Idempotent. */
  @Override
  public void close() {
    try {
      brokerChannel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      broker.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      pluginChannel.shutdownNow();
      plugin.shutdownNow();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      audit.close();
    }
  }

  private static final class Echo extends PluginServiceGrpc.PluginServiceImplBase {
    private final AtomicInteger calls;

    Echo(AtomicInteger calls) {
      this.calls = calls;
    }

    @Override
    public void call(EndpointRequestMessage request, StreamObserver<EndpointResponseMessage> out) {
      calls.incrementAndGet();
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
