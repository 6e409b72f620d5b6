package io.dtac.broker.server.internal.observability;

import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.broker.server.internal.AuditRecord;
import io.dtac.broker.server.internal.LoadedPlugin;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The broker's meters in a Micrometer registry (names and tags: README "Observability").
 *
 * <p>Tags stay low-cardinality whatever callers send: {@code caller} is an authenticated name (a
 * plugin, {@code agent} or {@code unauthenticated}); {@code target} and {@code method} are kept
 * only when they name a loaded plugin and one of its endpoints, else they read {@code unknown}
 * ({@code ""} for calls refused before their request was read). No request content becomes a
 * tag. Meters of one tag set are looked up once and cached.
 */
public final class MicrometerMetrics implements BrokerMetrics {
  static final String UNKNOWN = "unknown";

  private final MeterRegistry registry;
  private final Function<String, LoadedPlugin> plugins;
  private final Map<CallKey, CallMeters> calls = new ConcurrentHashMap<>();
  private final Map<RouteKey, LongTaskTimer> active = new ConcurrentHashMap<>();
  private final Map<String, AtomicReference<PluginState>> states = new ConcurrentHashMap<>();
  private final Map<String, Counter> restarts = new ConcurrentHashMap<>();
  private final Map<String, Counter> healthFailures = new ConcurrentHashMap<>();
  private final Map<String, Counter> logDrops = new ConcurrentHashMap<>();
  private final Counter auditBackpressure;
  private final AtomicInteger connections = new AtomicInteger();

  /**
   * @param registry where the meters go
   * @param plugins the loaded plugin of a name, or null: what keeps target and method tags bounded
   */
  public MicrometerMetrics(MeterRegistry registry, Function<String, LoadedPlugin> plugins) {
    this.registry = registry;
    this.plugins = plugins;
    this.auditBackpressure =
        Counter.builder("dtac.broker.audit.backpressure")
            .description("audit records that waited for room in the audit file's queue")
            .register(registry);
    Gauge.builder("dtac.broker.connections", connections, AtomicInteger::get)
        .description("plugin connections to the broker")
        .register(registry);
  }

  private record CallKey(String caller, String target, String method, String action, String status, String decision, String rule) {}

  private record RouteKey(String caller, String target, String method) {}

  /** The meters of one (caller, target, method, action, outcome). */
  private record CallMeters(Timer timer, DistributionSummary requestBytes, DistributionSummary responseBytes, Counter refusals) {}

  @Override
  public InFlight callStarted(String caller, String target, String method, String action) {
    RouteKey key = new RouteKey(caller, knownTarget(target), knownMethod(target, action, method));
    LongTaskTimer.Sample sample =
        active.computeIfAbsent(key, k -> LongTaskTimer.builder("dtac.broker.calls.active")
                .description("brokered calls in flight")
                .tags("caller", k.caller(), "target", k.target(), "method", k.method())
                .register(registry))
            .start();
    return sample::stop;
  }

  @Override
  public void callCompleted(AuditRecord r) {
    String target = knownTarget(r.target());
    CallKey key =
        new CallKey(r.caller(), target, knownMethod(r.target(), r.action(), r.method()), r.action(),
            r.status(), r.decision(), r.rule());
    CallMeters m = calls.computeIfAbsent(key, this::meters);
    m.timer().record(r.durationMicros(), TimeUnit.MICROSECONDS);
    m.requestBytes().record(r.requestBytes());
    m.responseBytes().record(r.responseBytes());
    if (m.refusals() != null) {
      m.refusals().increment();
    }
  }

  private CallMeters meters(CallKey k) {
    Tags route = Tags.of("caller", k.caller(), "target", k.target(), "method", k.method());
    Timer timer =
        Timer.builder("dtac.broker.calls")
            .description("brokered calls by outcome, with their latency from receipt to answer")
            .tags(route)
            .tags("action", k.action(), "status", k.status())
            .publishPercentileHistogram()
            .register(registry);
    DistributionSummary in =
        DistributionSummary.builder("dtac.broker.request.size")
            .description("serialized size of brokered requests")
            .baseUnit("bytes")
            .tags(route)
            .register(registry);
    DistributionSummary out =
        DistributionSummary.builder("dtac.broker.response.size")
            .description("serialized size of brokered responses (0 when the call failed)")
            .baseUnit("bytes")
            .tags(route)
            .register(registry);
    Counter refused =
        "deny".equals(k.decision())
            ? Counter.builder("dtac.broker.refusals")
                .description("calls refused, by the check or policy rule that refused them")
                .tags("caller", k.caller(), "target", k.target(), "rule", k.rule())
                .register(registry)
            : null;
    return new CallMeters(timer, in, out, refused);
  }

  private String knownTarget(String target) {
    if (target.isEmpty()) {
      return "";
    }
    return plugins.apply(target) != null ? target : UNKNOWN;
  }

  /** {@code method} if plugin {@code target} has it with {@code action}, else {@value #UNKNOWN}. */
  private String knownMethod(String target, String action, String method) {
    if (method.isEmpty()) {
      return "";
    }
    LoadedPlugin p = plugins.apply(target);
    if (p == null) {
      return UNKNOWN;
    }
    return p.endpoint(action.toLowerCase(java.util.Locale.ROOT) + ":" + method) != null ? method : UNKNOWN;
  }

  @Override
  public void pluginStateChanged(PluginInfo plugin, PluginState from) {
    String name = plugin.name();
    AtomicReference<PluginState> state = states.computeIfAbsent(name, n -> {
      AtomicReference<PluginState> ref = new AtomicReference<>();
      for (PluginState s : PluginState.values()) {
        Gauge.builder("dtac.plugin.state", ref, r -> r.get() == s ? 1 : 0)
            .description("1 for the state the plugin is in, 0 for the others")
            .tags("plugin", n, "state", s.name())
            .register(registry);
      }
      return ref;
    });
    state.set(plugin.state());
    if (plugin.state() == PluginState.RESTARTING) {
      restarts.computeIfAbsent(name, n -> Counter.builder("dtac.plugin.restarts")
              .description("restarts of the plugin, after a crash, a hang or a reload")
              .tag("plugin", n)
              .register(registry))
          .increment();
    }
  }

  @Override
  public void healthCheckFailed(String plugin) {
    healthFailures.computeIfAbsent(plugin, n -> Counter.builder("dtac.plugin.health.failures")
            .description("failed health checks of the plugin")
            .tag("plugin", n)
            .register(registry))
        .increment();
  }

  @Override
  public void logRecordsDropped(String plugin, long n) {
    logDrops.computeIfAbsent(plugin, p -> Counter.builder("dtac.plugin.log.dropped")
            .description("log records and output lines of the plugin dropped for exceeding its log rate")
            .tag("plugin", p)
            .register(registry))
        .increment(n);
  }

  @Override
  public void auditBackpressure() {
    auditBackpressure.increment();
  }

  @Override
  public void connectionOpened() {
    connections.incrementAndGet();
  }

  @Override
  public void connectionClosed() {
    connections.decrementAndGet();
  }
}
