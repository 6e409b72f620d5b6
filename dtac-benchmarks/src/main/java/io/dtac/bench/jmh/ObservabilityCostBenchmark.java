package io.dtac.bench.jmh;

import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.server.internal.AuditRecord;
import io.dtac.broker.server.internal.LoadedPlugin;
import io.dtac.broker.server.internal.PluginRegistry;
import io.dtac.broker.server.internal.observability.BrokerMetrics;
import io.dtac.broker.server.internal.observability.CallTracing;
import io.dtac.broker.server.internal.observability.MicrometerMetrics;
import io.dtac.broker.server.internal.observability.OpenTelemetryTracing;
import io.grpc.Status;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.nio.file.Path;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * What metrics and tracing add to one brokered call, measured on their own: {@link #hooks} makes
 * exactly the observability calls the broker makes per call ({@code CallGate} and {@code AuditLog}:
 * start the span, start the in-flight measurement, the span's headers for the target, end both,
 * the trace id for the audit record, the outcome's meters), against {@link #baseline}, which only
 * consumes the same inputs. Run per {@code observability}:
 *
 * <ul>
 *   <li>{@code off}: {@code BrokerMetrics.NONE} and {@code CallTracing.NONE}, what a broker built
 *       without {@code meterRegistry} and {@code openTelemetry} uses; no other implementation is
 *       called in that fork, as in such a broker, so the JIT sees monomorphic no-op calls.
 *   <li>{@code metrics}: {@code MicrometerMetrics} on a {@code SimpleMeterRegistry}.
 *   <li>{@code tracing}: {@code OpenTelemetryTracing} on the OpenTelemetry SDK, every span sampled,
 *       batched to an exporter that drops it.
 *   <li>{@code both}.
 * </ul>
 *
 * Unlike {@code BrokerOverheadBenchmark.brokerForward*}, no gRPC call or audit writer runs here, so
 * the spread is that of the hooks themselves, not of the machine's scheduling.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ObservabilityCostBenchmark {
  @Param({"off", "metrics", "tracing", "both"})
  public String observability;

  private BrokerMetrics metrics;
  private CallTracing tracing;
  private AutoCloseable openTelemetry;
  private AuditRecord outcome;
  private long sequence;

  @Setup(Level.Trial)
  public void setUp() {
    boolean metered = observability.equals("metrics") || observability.equals("both");
    boolean traced = observability.equals("tracing") || observability.equals("both");
    if (!metered && !traced && !observability.equals("off")) {
      throw new IllegalArgumentException("observability: off, metrics, tracing or both, not " + observability);
    }
    metrics = metered ? newMetrics() : BrokerMetrics.NONE;
    tracing = CallTracing.NONE;
    if (traced) {
      OpenTelemetrySdk sdk =
          OpenTelemetrySdk.builder()
              .setTracerProvider(SdkTracerProvider.builder()
                  .addSpanProcessor(BatchSpanProcessor.builder(new BrokerOverheadBenchmark.DroppingExporter()).build())
                  .build())
              .build();
      openTelemetry = sdk;
      tracing = new OpenTelemetryTracing(sdk);
    }
    outcome = new AuditRecord("2026-12-01T00:00:00Z", "bench-1", "BenchCaller", "BenchTarget", "echo", "read",
        "allow", "", "OK", 12, 64, 64);
  }

  /** Micrometer metrics whose target and method tags are known, as for a loaded plugin. */
  private static BrokerMetrics newMetrics() {
    PluginRegistry registry = new PluginRegistry(List.of());
    LoadedPlugin plugin = new LoadedPlugin("BenchTarget", "bench-target", Path.of("bench-target.plugin"));
    registry.add(plugin);
    registry.running(plugin, List.of(PluginEndpoint.newBuilder().setPath("echo").setAction("read").build()),
        "bench-target");
    return new MicrometerMetrics(new SimpleMeterRegistry(), registry::get);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    if (openTelemetry != null) {
      openTelemetry.close();
    }
  }

  /** The observability calls of one brokered call, in the broker's order. */
  @Benchmark
  public void hooks(Blackhole bh) {
    String callId = "bench-" + (++sequence);
    CallTracing.Span span = tracing.start(callId, "BenchCaller", "BenchTarget", "echo", "read");
    BrokerMetrics.InFlight inFlight = metrics.callStarted("BenchCaller", "BenchTarget", "echo", "read");
    bh.consume(span.outgoingHeaders());
    inFlight.end();
    span.end(Status.Code.OK);
    bh.consume(span.traceId());
    metrics.callCompleted(outcome);
  }

  /** The same inputs, no observability call: what {@link #hooks} is measured against. */
  @Benchmark
  public void baseline(Blackhole bh) {
    String callId = "bench-" + (++sequence);
    bh.consume(callId);
    bh.consume(outcome);
  }
}
