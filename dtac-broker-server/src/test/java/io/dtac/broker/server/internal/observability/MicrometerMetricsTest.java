package io.dtac.broker.server.internal.observability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.broker.server.internal.AuditRecord;
import io.dtac.broker.server.internal.LoadedPlugin;
import io.dtac.broker.server.internal.PluginRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The meters that audit records and plugin events become, and how their tags stay bounded. */
class MicrometerMetricsTest {
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final PluginRegistry plugins = new PluginRegistry(List.of());
  private final MicrometerMetrics metrics = new MicrometerMetrics(meters, plugins::get);

  MicrometerMetricsTest() {
    LoadedPlugin hello = new LoadedPlugin("HelloPlugin", "hello", Path.of("hello.plugin"));
    plugins.add(hello);
    plugins.running(hello, List.of(PluginEndpoint.newBuilder().setAction("read").setPath("hello").build()), "hello");
  }

  private static AuditRecord record(String caller, String target, String method, String decision, String rule, String status) {
    return new AuditRecord("t", "id", caller, target, method, "read", decision, rule, status, 1500, 10, 20);
  }

  @Test
  void everyOutcomeIsCountedWithItsLatencyAndSizes() {
    metrics.callCompleted(record("CalculatorPlugin", "HelloPlugin", "hello", "allow", "default", "OK"));
    metrics.callCompleted(record("CalculatorPlugin", "HelloPlugin", "hello", "allow", "default", "OK"));
    metrics.callCompleted(record("CalculatorPlugin", "HelloPlugin", "hello", "allow", "default", "UNAVAILABLE"));
    var ok = meters.get("dtac.broker.calls").tags("caller", "CalculatorPlugin", "target", "HelloPlugin",
        "method", "hello", "action", "read", "status", "OK").timer();
    assertEquals(2, ok.count());
    assertEquals(3.0, ok.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS), 1e-9);
    assertEquals(1, meters.get("dtac.broker.calls").tags("status", "UNAVAILABLE").timer().count());
    assertEquals(30.0, meters.get("dtac.broker.request.size").summary().totalAmount());
    assertEquals(60.0, meters.get("dtac.broker.response.size").summary().totalAmount());
    assertNull(meters.find("dtac.broker.refusals").counter(), "nothing was refused");
  }

  @Test
  void refusalsAreCountedByTheRuleThatRefused() {
    metrics.callCompleted(record("unauthenticated", "", "", "deny", "authentication", "UNAUTHENTICATED"));
    metrics.callCompleted(record("Alpha", "HelloPlugin", "hello", "deny", "no-alpha", "PERMISSION_DENIED"));
    assertEquals(1.0, meters.get("dtac.broker.refusals").tags("caller", "unauthenticated", "rule", "authentication")
        .counter().count());
    assertEquals(1.0, meters.get("dtac.broker.refusals").tags("caller", "Alpha", "target", "HelloPlugin",
        "rule", "no-alpha").counter().count());
  }

  @Test
  void namesCallersChooseBecomeUnknownSoTagsStayBounded() {
    for (int i = 0; i < 1000; i++) {
      metrics.callCompleted(record("Alpha", "Nope" + i, "x" + i, "allow", "default", "NOT_FOUND"));
      metrics.callCompleted(record("Alpha", "HelloPlugin", "bye" + i, "allow", "default", "NOT_FOUND"));
    }
    assertEquals(1000, meters.get("dtac.broker.calls").tags("target", "unknown", "method", "unknown").timer().count());
    assertEquals(1000, meters.get("dtac.broker.calls").tags("target", "HelloPlugin", "method", "unknown").timer().count());
    assertEquals(2, meters.find("dtac.broker.calls").timers().size(), "two tag sets, not 2000");
  }

  @Test
  void callsInFlightAreCountedUntilTheyEnd() {
    BrokerMetrics.InFlight a = metrics.callStarted("agent", "HelloPlugin", "hello", "read");
    BrokerMetrics.InFlight b = metrics.callStarted("agent", "HelloPlugin", "hello", "READ");
    var active = meters.get("dtac.broker.calls.active").tags("method", "hello").longTaskTimer();
    assertEquals(2, active.activeTasks());
    a.end();
    b.end();
    assertEquals(0, active.activeTasks());
  }

  @Test
  void pluginStatesRestartsAndHealthFailures() {
    PluginInfo running = plugins.get("HelloPlugin").snapshot();
    metrics.pluginStateChanged(running, null);
    assertEquals(1.0, meters.get("dtac.plugin.state").tags("plugin", "HelloPlugin", "state", "RUNNING").gauge().value());
    assertEquals(0.0, meters.get("dtac.plugin.state").tags("plugin", "HelloPlugin", "state", "FAILED").gauge().value());
    PluginInfo restarting = new PluginInfo("HelloPlugin", "hello", PluginState.RESTARTING, List.of(),
        Path.of("hello.plugin"), 1, null);
    metrics.pluginStateChanged(restarting, PluginState.RUNNING);
    assertEquals(1.0, meters.get("dtac.plugin.restarts").tags("plugin", "HelloPlugin").counter().count());
    assertEquals(1.0, meters.get("dtac.plugin.state").tags("plugin", "HelloPlugin", "state", "RESTARTING").gauge().value());
    metrics.healthCheckFailed("HelloPlugin");
    assertEquals(1.0, meters.get("dtac.plugin.health.failures").tags("plugin", "HelloPlugin").counter().count());
  }

  @Test
  void connectionsAndAuditBackpressure() {
    metrics.connectionOpened();
    metrics.connectionOpened();
    metrics.connectionClosed();
    assertEquals(1.0, meters.get("dtac.broker.connections").gauge().value());
    metrics.auditBackpressure();
    assertTrue(meters.get("dtac.broker.audit.backpressure").counter().count() == 1.0);
  }
}
