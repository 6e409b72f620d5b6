package io.dtac.bench.jmh;

import com.google.protobuf.ByteString;
import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.api.PluginCallResponse;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.internal.AuditLog;
import io.dtac.broker.server.internal.CallChains;
import io.dtac.broker.server.internal.CallGate;
import io.dtac.broker.server.internal.CallRouter;
import io.dtac.broker.server.internal.CredentialStore;
import io.dtac.broker.server.internal.LoadedPlugin;
import io.dtac.broker.server.internal.PluginRegistry;
import io.dtac.broker.server.internal.PolicyEngine;
import io.dtac.broker.server.internal.ShutdownGate;
import io.dtac.core.internal.Headers;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@code bareForward} and {@code brokerForward} of {@link BrokerOverheadBenchmark} over real Unix
 * domain sockets (Netty epoll, one event loop, direct executors) instead of in-process gRPC. In
 * process, grpc-java hands typed messages across without serializing them, so a forwarder that
 * parses and re-serializes pays nothing there, while the broker, which forwards bytes, pays the
 * serialization that every real transport makes everyone pay. Over sockets every hop serializes,
 * as between real processes, and {@code brokerForward - bareForward} is the broker's own work
 * again (plus the socket noise of both). The JVM, the sockets and the event loop are shared by the
 * three ends; no plugin process runs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class BrokerOverSocketsBenchmark {
  static {
    io.dtac.bench.QuietLogs.apply();
  }

  @Param({"64", "262144"})
  public int payloadBytes;

  private Path dir;
  private EventLoopGroup loop;
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private AuditLog audit;
  private AgentServiceGrpc.AgentServiceBlockingStub viaBroker;
  private AgentServiceGrpc.AgentServiceBlockingStub viaBare;
  private PluginCallRequest request;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("dtac-jmh-");
    loop = new EpollEventLoopGroup(1);
    request = PluginCallRequest.newBuilder()
        .setPluginName("BenchTarget").setMethod("echo").setAction("read")
        .setRequest(EndpointRequest.newBuilder().setBody(ByteString.copyFrom(new byte[payloadBytes])))
        .build();
    serve("target.sock", new BrokerOverheadBenchmark.Echo().bindService());
    ManagedChannel target = dial("target.sock");

    PluginRegistry registry = new PluginRegistry(List.of());
    LoadedPlugin plugin = new LoadedPlugin("BenchTarget", "bench-target", Path.of("bench-target.plugin"));
    registry.add(plugin);
    registry.connected(plugin, null, target);
    registry.running(plugin, List.of(PluginEndpoint.newBuilder().setPath("echo").setAction("read").build()),
        "bench-target");
    CallChains chains = new CallChains(CallChains.DEFAULT_MAX_DEPTH);
    CallRouter router = new CallRouter(registry, Duration.ofSeconds(30), chains, new ShutdownGate(), 4 * 1024 * 1024);
    audit = new AuditLog(null);
    CallGate gate = new CallGate(router, PolicyEngine.fixed(AccessPolicy.allowAll()), audit);
    CredentialStore credentials = new CredentialStore();
    String credential = credentials.issue();
    credentials.bind(credential, "BenchCaller");
    Metadata headers = new Metadata();
    headers.put(Headers.CREDENTIAL, credential);

    serve("broker.sock", BrokerOverheadBenchmark.brokerService(gate, registry, chains, credentials, audit));
    serve("bare.sock", new BrokerOverheadBenchmark.BareForwarder(PluginServiceGrpc.newFutureStub(target)).bindService());
    viaBroker = AgentServiceGrpc.newBlockingStub(dial("broker.sock"))
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    viaBare = AgentServiceGrpc.newBlockingStub(dial("bare.sock"));
  }

  private void serve(String socket, ServerServiceDefinition service) throws IOException {
    servers.add(NettyServerBuilder.forAddress(new DomainSocketAddress(dir.resolve(socket).toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(loop)
        .workerEventLoopGroup(loop)
        .directExecutor()
        .maxInboundMessageSize(8 * 1024 * 1024)
        .addService(service)
        .build()
        .start());
  }

  private ManagedChannel dial(String socket) {
    ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(dir.resolve(socket).toString()))
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(loop)
        .directExecutor()
        .usePlaintext()
        .maxInboundMessageSize(8 * 1024 * 1024)
        .build();
    channels.add(channel);
    return channel;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    audit.close();
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
    }
    Files.deleteIfExists(dir);
  }

  @Benchmark
  public PluginCallResponse bareForward() {
    return viaBare.callPlugin(request);
  }

  @Benchmark
  public PluginCallResponse brokerForward() {
    return viaBroker.callPlugin(request);
  }
}
