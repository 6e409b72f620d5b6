package io.dtac.examples;

import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.PluginCallException;
import io.dtac.core.StatusCode;

import static io.dtac.examples.Fixtures.alive;
import static io.dtac.examples.Fixtures.failure;
import static io.dtac.examples.Fixtures.json;
import static io.dtac.examples.Fixtures.params;
import static io.dtac.examples.Fixtures.pid;
import static io.dtac.examples.Fixtures.signal;
import static io.dtac.examples.Fixtures.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.api.PluginDescription;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugin lifecycle with real processes and real signals: calls in flight to a killed plugin fail
 * at once, it shows FAILED, is restarted with backoff and serves again while its callers keep
 * working; a hung plugin is caught by health checks; a plugin that keeps failing is given up on;
 * plugins are loaded, unloaded and reloaded at runtime; every state change reaches the listener.
 */
class PluginLifecycleIT {
  @TempDir static Path tmp;
  private static PluginBroker broker;
  /** "Name: FROM -> TO (failure)" for every state change, in order. */
  private static final List<String> events = new ArrayList<>();
  /** ListPlugins' state of HelloPlugin, as seen at each of its FAILED transitions. */
  private static final List<String> listedWhenFailed = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp, "hello.plugin", "calculator.plugin");
    Fixtures.testPlugin(plugins, "Alpha");
    ExamplePlugins.script(plugins, "flaky.plugin", String.join("\n",
        "marker=\"$(dirname \"$0\")/flaky.started\"",
        "if [ -e \"$marker\" ]; then echo 'flaky refuses to start again' >&2; exit 3; fi",
        "touch \"$marker\"",
        "exec " + Fixtures.javaCommand(io.dtac.examples.reliability.TestPlugin.class.getName(), "Flaky")));
    broker =
        PluginBroker.builder()
            .pluginDirectory(plugins)
            .handshakeTimeout(Duration.ofSeconds(30))
            .restartBackoff(Duration.ofMillis(500), Duration.ofMillis(500))
            .maxRestarts(3, Duration.ofMinutes(1))
            .healthCheckInterval(Duration.ofMillis(300))
            .healthCheckTimeout(Duration.ofMillis(1000))
            .healthCheckFailures(2)
            .listener((plugin, from) -> {
              synchronized (events) {
                events.add(plugin.name() + ": " + from + " -> " + plugin.state()
                    + plugin.failure().map(f -> " (" + f + ")").orElse(""));
              }
              if (plugin.name().equals("HelloPlugin") && plugin.state() == PluginState.FAILED) {
                synchronized (listedWhenFailed) {
                  broker.plugins().stream()
                      .filter(d -> d.name().equals("HelloPlugin"))
                      .map(d -> d.state().name())
                      .forEach(listedWhenFailed::add);
                }
              }
            })
            .build();
    broker.start();
    for (PluginInfo p : broker.plugins()) {
      assertEquals(PluginState.RUNNING, p.state(), p.toString());
    }
  }

  @AfterAll
  static void stop() throws Exception {
    List<Long> pids = broker.plugins().stream()
        .filter(p -> p.pid().isPresent()).map(p -> p.pid().getAsLong()).collect(Collectors.toList());
    broker.close();
    pids.forEach(pid -> assertTrue(!alive(pid), "process " + pid + " outlived close()"));
    for (String name : List.of("HelloPlugin", "CalculatorPlugin", "Alpha", "Flaky")) {
      List<String> mine = eventsOf(name);
      assertEquals(name + ": null -> STARTING", mine.get(0));
      assertTrue(mine.get(mine.size() - 1).startsWith(name + ": " ) && mine.get(mine.size() - 1).contains("-> STOPPED"),
          String.join("\n", mine));
    }
  }

  private static List<String> eventsOf(String name) throws Exception {
    synchronized (events) {
      return events.stream().filter(e -> e.startsWith(name + ": ")).collect(Collectors.toList());
    }
  }

  private static PluginState state(String name) throws Exception {
    return broker.plugin(name).orElseThrow().state();
  }

  private static void awaitRunning(String name) throws Exception {
    Awaitility.await(name + " RUNNING").atMost(Duration.ofSeconds(60)).until(() -> state(name) == PluginState.RUNNING);
  }

  @Test
  void aKilledPluginShowsFailedIsRestartedAndItsCallersKeepCalculating() throws Exception {
    awaitRunning("HelloPlugin");
    long oldPid = pid(broker, "HelloPlugin");
    int mark = eventsOf("HelloPlugin").size();
    signal(oldPid, "KILL");
    Awaitility.await("HelloPlugin FAILED").atMost(Duration.ofSeconds(10))
        .until(() -> state("HelloPlugin") != PluginState.RUNNING);

    Response calculated = broker.call("CalculatorPlugin", "calculate_via_hello", Action.CREATE,
        json(Map.of("operation", "add", "a", 5, "b", 3)));
    assertNotEquals(PluginState.RUNNING, state("HelloPlugin"), "hello must still be down after the call");
    assertEquals(8, value(calculated).get("result").asInt());

    awaitRunning("HelloPlugin");
    assertNotEquals(oldPid, pid(broker, "HelloPlugin"));
    assertTrue(!alive(oldPid));
    assertEquals("Hello from HelloPlugin",
        value(broker.call("HelloPlugin", "hello", Action.READ, Request.empty())).get("message").asText());
    assertEquals(
        List.of(
            "HelloPlugin: RUNNING -> FAILED (process exited with code 137)",
            "HelloPlugin: FAILED -> RESTARTING (process exited with code 137)",
            "HelloPlugin: RESTARTING -> RUNNING"),
        eventsOf("HelloPlugin").subList(mark, mark + 3));
    synchronized (listedWhenFailed) {
      assertEquals("FAILED", listedWhenFailed.get(listedWhenFailed.size() - 1));
    }
  }

  @Test
  void callsInFlightToAKilledPluginFailAtOnceNamingItsExitCode() throws Exception {
    awaitRunning("Alpha");
    int started = value(broker.call("Alpha", "stats", Action.READ, Request.empty())).get("started").asInt();
    CompletableFuture<Response> inFlight =
        broker.callAsync("Alpha", "slow", Action.READ, params("ms", "120000"), Duration.ofSeconds(120));
    Awaitility.await("the slow call reaches Alpha").atMost(Duration.ofSeconds(20)).until(() ->
        value(broker.call("Alpha", "stats", Action.READ, Request.empty())).get("started").asInt() > started);
    signal(pid(broker, "Alpha"), "KILL");
    ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
        ExecutionException.class, () -> inFlight.get(20, TimeUnit.SECONDS));
    PluginCallException failure = (PluginCallException) e.getCause();
    assertEquals(StatusCode.UNAVAILABLE, failure.code());
    assertEquals("plugin 'Alpha' is not running: process exited with code 137", failure.description());
    awaitRunning("Alpha");
    assertEquals("n1", value(broker.call("Alpha", "echo", Action.READ, params("nonce", "n1"))).get("nonce").asText());
  }

  @Test
  void aPluginThatStopsAnsweringHealthChecksIsKilledAndRestarted() throws Exception {
    awaitRunning("Alpha");
    long oldPid = pid(broker, "Alpha");
    int mark = eventsOf("Alpha").size();
    signal(oldPid, "STOP");
    Awaitility.await("Alpha FAILED for its health").atMost(Duration.ofSeconds(30)).until(() ->
        eventsOf("Alpha").stream().skip(mark).anyMatch(e -> e.contains("-> FAILED (stopped answering health checks")));
    Awaitility.await("the hung process is killed").atMost(Duration.ofSeconds(10)).until(() -> !alive(oldPid));
    awaitRunning("Alpha");
    assertNotEquals(oldPid, pid(broker, "Alpha"));
    assertEquals("n2", value(broker.call("Alpha", "echo", Action.READ, params("nonce", "n2"))).get("nonce").asText());
  }

  @Test
  void aPluginThatKeepsFailingIsGivenUpOnAfterItsRestartBudget() throws Exception {
    awaitRunning("Flaky");
    signal(pid(broker, "Flaky"), "KILL");
    Awaitility.await("Flaky given up").atMost(Duration.ofSeconds(60)).until(() ->
        broker.plugin("Flaky").orElseThrow().failure().orElse("").contains("not restarted again"));
    PluginInfo flaky = broker.plugin("Flaky").orElseThrow();
    assertEquals(PluginState.FAILED, flaky.state());
    assertTrue(flaky.failure().get().contains("exited with code 3 before printing its handshake line; its stderr"
        + " ended with: flaky refuses to start again"), flaky.failure().get());
    assertTrue(flaky.failure().get().endsWith(
        "; not restarted again: it was restarted 3 times within 60 s (reload it to try again)"), flaky.failure().get());
    List<String> states = eventsOf("Flaky").stream().map(e -> e.replaceAll(" \\(.*", "")).collect(Collectors.toList());
    assertEquals(
        List.of("Flaky: null -> STARTING", "Flaky: STARTING -> RUNNING", "Flaky: RUNNING -> FAILED",
            "Flaky: FAILED -> RESTARTING", "Flaky: RESTARTING -> FAILED",
            "Flaky: FAILED -> RESTARTING", "Flaky: RESTARTING -> FAILED",
            "Flaky: FAILED -> RESTARTING", "Flaky: RESTARTING -> FAILED",
            "Flaky: FAILED -> FAILED"),
        states);
  }

  @Test
  void pluginsAreLoadedUnloadedAndReloadedAtRuntime() throws Exception {
    Path spare = Files.createDirectories(tmp.resolve("spare"));
    PluginInfo gamma = broker.load(Fixtures.testPlugin(spare, "Gamma"));
    assertEquals(PluginState.RUNNING, gamma.state(), gamma.toString());
    assertEquals("g1", value(broker.call("Gamma", "echo", Action.READ, params("nonce", "g1"))).get("nonce").asText());

    // A second file announcing the same name is refused right after its handshake.
    Path impostor = ExamplePlugins.script(spare, "impostor.plugin",
        "echo 'CONNECT{{Gamma:gamma:grpc:tcp:127.0.0.1:1:plug_api_1.0:[tls=false]}}'; sleep 30");
    PluginInfo again = broker.load(impostor);
    assertEquals(PluginState.FAILED, again.state());
    assertTrue(again.failure().get().startsWith("duplicate plugin name 'Gamma'"), again.toString());
    assertFalse(alive(again.pid().getAsLong()));

    long gammaPid = gamma.pid().getAsLong();
    PluginInfo unloaded = broker.unload("Gamma").orElseThrow();
    assertEquals(PluginState.STOPPED, unloaded.state());
    assertFalse(alive(gammaPid));
    assertTrue(broker.plugin("Gamma").isEmpty());
    assertFalse(broker.plugins().stream().anyMatch(p -> p.name().equals("Gamma")));
    PluginCallException gone = failure(() ->
        broker.call("Gamma", "echo", Action.READ, Request.empty()));
    assertEquals(StatusCode.NOT_FOUND, gone.code());
    assertTrue(broker.unload("Gamma").isEmpty());

    awaitRunning("HelloPlugin");
    long helloPid = pid(broker, "HelloPlugin");
    PluginInfo reloaded = broker.reload("HelloPlugin").orElseThrow();
    assertEquals(PluginState.RUNNING, reloaded.state(), reloaded.toString());
    assertNotEquals(helloPid, reloaded.pid().getAsLong());
    assertFalse(alive(helloPid));
    assertEquals("Hello from HelloPlugin",
        value(broker.call("HelloPlugin", "hello", Action.READ, Request.empty())).get("message").asText());
    assertTrue(broker.reload("NoSuchPlugin").isEmpty());

    PluginInfo missing = broker.load(spare.resolve("missing.plugin"));
    assertEquals(PluginState.FAILED, missing.state());
  }
}
