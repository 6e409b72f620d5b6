package io.dtac.bench.jmh;

import io.dtac.broker.server.internal.observability.BrokerMetrics;
import io.dtac.broker.server.internal.observability.CallTracing;
import io.dtac.broker.server.internal.observability.MicrometerMetrics;
import io.dtac.broker.server.internal.observability.OpenTelemetryTracing;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.dtac.core.internal.Headers;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.EndpointResponseMessage;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.api.PluginCallResponse;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.server.internal.AgentServiceChain;
import io.dtac.broker.server.internal.AgentServiceImpl;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.internal.AuditLog;
import io.dtac.broker.server.internal.CallChains;
import io.dtac.broker.server.internal.CallGate;
import io.dtac.broker.server.internal.CallRouter;
import io.dtac.broker.server.internal.PolicyEngine;
import io.dtac.broker.server.internal.ShutdownGate;
import io.dtac.broker.server.internal.CallerAuthInterceptor;
import io.dtac.broker.server.internal.CallerIdentity;
import io.dtac.broker.server.internal.CredentialStore;
import io.dtac.broker.server.internal.LoadedPlugin;
import io.dtac.broker.server.internal.PluginRegistry;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
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
 * The broker's own per-call work, in-process, against a bare forward. Every hop is in-process
 * gRPC with direct executors, so a call runs start to end on the benchmark thread and the numbers
 * are CPU work, not scheduling or sockets:
 *
 * <ul>
 *   <li>{@code directCall}: client -> target ({@code PluginService.Call}); one hop.
 *   <li>{@code routerCall}: the broker's {@link CallRouter} -> target: validation, lookup,
 *       deadline, error mapping, one hop.
 *   <li>{@code bareForward}: client -> a forwarder that does nothing but re-address the request
 *       -> target; two hops.
 *   <li>{@code brokerForward}: client -> the broker's {@code AgentService} (as {@code
 *       PluginBroker} serves it) -> target; two hops.
 *   <li>{@code brokerForwardMetered}, {@code brokerForwardTraced}, {@code brokerForwardObserved}:
 *       the same with Micrometer metrics (a {@code SimpleMeterRegistry}), OpenTelemetry tracing
 *       (the SDK, every span sampled and batched to an exporter that drops it), or both: what
 *       observability costs per call, against {@code brokerForward} with both off.
 * </ul>
 *
 * Every typed end serializes what it sends and parses what it receives ({@link Serialized}), as
 * over a socket: in-process gRPC would otherwise hand messages across unserialized, which flatters
 * the bare forwarder (it parses and re-serializes) against the broker (it forwards bytes).
 *
 * <p>The broker's own work per call is {@code brokerForward - bareForward} (and, without the front
 * hop, {@code routerCall - directCall}). {@link #brokerService} wraps the service the way {@code
 * PluginBroker} does, so that every interceptor is measured here; the audit records go to the
 * SLF4J audit logger, which the benchmark leaves at WARN, so their JSON is built but not printed.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class BrokerOverheadBenchmark {
  static {
    // Before any logger exists: the audit logger would print a line per call, which measures the
    // console rather than the broker (an agent sends audit records to a file or a quiet logger).
    io.dtac.bench.QuietLogs.apply();
  }

  @Param({"64"})
  public int payloadBytes;

  private final String id = Long.toHexString(System.nanoTime());
  private Server target;
  private Server broker;
  private Server bare;
  private ManagedChannel targetChannel;
  private ManagedChannel brokerChannel;
  private ManagedChannel bareChannel;
  private CallRouter router;
  private AuditLog audit;
  private PluginServiceGrpc.PluginServiceBlockingStub direct;
  private AgentServiceGrpc.AgentServiceBlockingStub viaBroker;
  private final List<Server> observedBrokers = new java.util.ArrayList<>();
  private final List<ManagedChannel> observedChannels = new java.util.ArrayList<>();
  private final List<AuditLog> observedAudits = new java.util.ArrayList<>();
  private OpenTelemetrySdk openTelemetry;
  private AgentServiceGrpc.AgentServiceBlockingStub viaMetered;
  private AgentServiceGrpc.AgentServiceBlockingStub viaTraced;
  private AgentServiceGrpc.AgentServiceBlockingStub viaObserved;
  private AgentServiceGrpc.AgentServiceBlockingStub viaBare;
  private EndpointRequest request;
  private EndpointRequestMessage directRequest;
  private PluginCallRequest brokeredRequest;
  /** The router's calls are the host's, as PluginBroker.call marks them. */
  private final Context asHost = CallerIdentity.asHost(Context.ROOT);

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    request = EndpointRequest.newBuilder().setBody(ByteString.copyFrom(new byte[payloadBytes])).build();
    directRequest = EndpointRequestMessage.newBuilder().setMethod("read:echo").setRequest(request).build();
    brokeredRequest =
        PluginCallRequest.newBuilder()
            .setPluginName("BenchTarget")
            .setMethod("echo")
            .setAction("read")
            .setRequest(request)
            .build();

    target = serve("target-" + id, new Echo());
    targetChannel = InProcessChannelBuilder.forName("target-" + id).directExecutor().build();

    PluginRegistry registry = new PluginRegistry(List.of());
    LoadedPlugin plugin = new LoadedPlugin("BenchTarget", "bench-target", Path.of("bench-target.plugin"));
    registry.add(plugin);
    registry.connected(plugin, null, targetChannel);
    registry.running(
        plugin,
        List.of(PluginEndpoint.newBuilder().setPath("echo").setAction("read").build()),
        "bench-target");
    CallChains chains = new CallChains(CallChains.DEFAULT_MAX_DEPTH);
    router = new CallRouter(registry, Duration.ofSeconds(30), chains, new ShutdownGate(), 4 * 1024 * 1024);
    audit = new AuditLog(null);
    CallGate gate = new CallGate(router, PolicyEngine.fixed(AccessPolicy.allowAll()), audit);
    CredentialStore credentials = new CredentialStore();
    String credential = credentials.issue();
    credentials.bind(credential, "BenchCaller");
    Metadata headers = new Metadata();
    headers.put(Headers.CREDENTIAL, credential);

    broker = serve("broker-" + id, brokerService(gate, registry, chains, credentials, audit));
    bare = serve("bare-" + id, new BareForwarder(PluginServiceGrpc.newFutureStub(Serialized.channel(targetChannel))));
    brokerChannel = InProcessChannelBuilder.forName("broker-" + id).directExecutor().build();
    bareChannel = InProcessChannelBuilder.forName("bare-" + id).directExecutor().build();
    direct = PluginServiceGrpc.newBlockingStub(Serialized.channel(targetChannel));
    viaBroker =
        AgentServiceGrpc.newBlockingStub(Serialized.channel(brokerChannel))
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    viaBare = AgentServiceGrpc.newBlockingStub(Serialized.channel(bareChannel));

    openTelemetry =
        OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(BatchSpanProcessor.builder(new DroppingExporter()).build())
                .build())
            .build();
    viaMetered = observed("metered", registry, chains, credentials, headers, true, false);
    viaTraced = observed("traced", registry, chains, credentials, headers, false, true);
    viaObserved = observed("observed", registry, chains, credentials, headers, true, true);
  }

  /** A broker like {@link #broker}, with metrics and/or tracing on. */
  private AgentServiceGrpc.AgentServiceBlockingStub observed(
      String name, PluginRegistry registry, CallChains chains, CredentialStore credentials, Metadata headers,
      boolean metered, boolean traced) throws IOException {
    BrokerMetrics metrics = metered ? new MicrometerMetrics(new SimpleMeterRegistry(), registry::get) : BrokerMetrics.NONE;
    CallTracing tracing = traced ? new OpenTelemetryTracing(openTelemetry) : CallTracing.NONE;
    AuditLog log = new AuditLog(null, metrics);
    observedAudits.add(log);
    CallGate gate = new CallGate(router, PolicyEngine.fixed(AccessPolicy.allowAll()), log, tracing, metrics);
    String serverName = name + "-" + id;
    observedBrokers.add(serve(serverName, AgentServiceChain.of(new AgentServiceImpl(gate, registry),
        new CallerAuthInterceptor(credentials, log), chains, log, tracing.incoming())));
    ManagedChannel channel = InProcessChannelBuilder.forName(serverName).directExecutor().build();
    observedChannels.add(channel);
    return AgentServiceGrpc.newBlockingStub(Serialized.channel(channel))
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** Takes every span and keeps none: the cost of recording and batching, not of a network. */
  static final class DroppingExporter implements SpanExporter {
    @Override
    public CompletableResultCode export(java.util.Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  /**
   * The broker's {@code AgentService} as {@code PluginBroker} serves it, interceptors included:
   * request limits, call-chain (cycle) tracking, caller authentication, metadata limits, and
   * behind them the access policy and the audit record of {@link CallGate}.
   */
  static ServerServiceDefinition brokerService(
      CallGate gate, PluginRegistry registry, CallChains chains, CredentialStore credentials, AuditLog audit) {
    return AgentServiceChain.of(
        new AgentServiceImpl(gate, registry), new CallerAuthInterceptor(credentials, audit), chains, audit);
  }

  private static Server serve(String name, io.grpc.BindableService service) throws IOException {
    return serve(name, Serialized.server(service.bindService()));
  }

  private static Server serve(String name, ServerServiceDefinition service) throws IOException {
    return InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    for (ManagedChannel c : observedChannels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server s : observedBrokers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    observedAudits.forEach(AuditLog::close);
    openTelemetry.close();
    for (ManagedChannel c : List.of(brokerChannel, bareChannel, targetChannel)) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server s : List.of(broker, bare, target)) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    audit.close();
  }

  @Benchmark
  public EndpointResponseMessage directCall() {
    return direct.call(directRequest);
  }

  @Benchmark
  public EndpointResponse routerCall() throws InterruptedException, ExecutionException {
    Context previous = asHost.attach();
    try {
      return router.route("BenchTarget", "echo", "read", request).get();
    } finally {
      asHost.detach(previous);
    }
  }

  @Benchmark
  public PluginCallResponse brokerForwardMetered() {
    return viaMetered.callPlugin(brokeredRequest);
  }

  @Benchmark
  public PluginCallResponse brokerForwardTraced() {
    return viaTraced.callPlugin(brokeredRequest);
  }

  @Benchmark
  public PluginCallResponse brokerForwardObserved() {
    return viaObserved.callPlugin(brokeredRequest);
  }

  @Benchmark
  public PluginCallResponse bareForward() {
    return viaBare.callPlugin(brokeredRequest);
  }

  @Benchmark
  public PluginCallResponse brokerForward() {
    return viaBroker.callPlugin(brokeredRequest);
  }

  /** The target: answers the request body. */
  static final class Echo extends PluginServiceGrpc.PluginServiceImplBase {
    @Override
    public void call(EndpointRequestMessage request, StreamObserver<EndpointResponseMessage> out) {
      out.onNext(
          EndpointResponseMessage.newBuilder()
              .setResponse(EndpointResponse.newBuilder().setValue(request.getRequest().getBody()))
              .build());
      out.onCompleted();
    }
  }

  /**
   * The least a forwarder can do: re-address the request to the target, with a deadline, and relay
   * its answer.
   */
  static final class BareForwarder extends AgentServiceGrpc.AgentServiceImplBase {
    private final PluginServiceGrpc.PluginServiceFutureStub target;

    BareForwarder(PluginServiceGrpc.PluginServiceFutureStub target) {
      this.target = target;
    }

    @Override
    public void callPlugin(PluginCallRequest call, StreamObserver<PluginCallResponse> out) {
      Futures.addCallback(
          // The broker gives every forwarded call a deadline; so does this forwarder, so that the
          // difference between the two is the broker's own logic, not the deadline timer.
          target.withDeadlineAfter(30, TimeUnit.SECONDS).call(
              EndpointRequestMessage.newBuilder()
                  .setMethod(call.getAction() + ":" + call.getMethod())
                  .setRequest(call.getRequest())
                  .build()),
          new FutureCallback<EndpointResponseMessage>() {
            @Override
            public void onSuccess(EndpointResponseMessage reply) {
              out.onNext(PluginCallResponse.newBuilder().setResponse(reply.getResponse()).build());
              out.onCompleted();
            }

            @Override
            public void onFailure(Throwable t) {
              out.onError(t);
            }
          },
          MoreExecutors.directExecutor());
    }
  }
}
