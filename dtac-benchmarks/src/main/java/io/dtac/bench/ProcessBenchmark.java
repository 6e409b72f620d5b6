package io.dtac.bench;

import io.dtac.core.Request;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.dtac.bench.plugin.BenchCallerPlugin;
import io.dtac.bench.plugin.BenchTargetPlugin;
import io.dtac.bench.plugin.ProcessCpu;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The process benchmark: one agent (this JVM) per {@link BrokerSetup}, each with a caller and a
 * target plugin process; every scenario runs in the caller process, interleaved round by round
 * (the order rotates from cell to cell and round to round) so that drift of the machine hits all
 * scenarios alike.
 *
 * <p>A brokered scenario runs on its own broker's pair of plugin processes; the direct scenarios
 * take turns on every pair. So every pair is about as busy (and as warmed up by the JIT) as the
 * others: a pair that sat idle most of the time measured several times slower on a loaded machine.
 */
final class ProcessBenchmark implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<BrokerSetup, PluginBroker> brokers = new EnumMap<>(BrokerSetup.class);
  private final Map<BrokerSetup, Map<String, String>> directAddresses = new EnumMap<>(BrokerSetup.class);
  private final List<BrokerSetup> setups = new ArrayList<>();
  private FloorServer floor;

  private ProcessBenchmark() {}

  /**
   * Starts one broker per set-up over {@code pluginDir} and checks that both plugins run; the
   * plugins, and the floor's echo server, run on the JDK at {@code pluginJava}.
   */
  static ProcessBenchmark start(Path benchDir, Path pluginDir, List<Scenario> scenarios, Path pluginJava)
      throws IOException {
    ProcessBenchmark b = new ProcessBenchmark();
    java.util.Set<BrokerSetup> setups = java.util.EnumSet.noneOf(BrokerSetup.class);
    scenarios.stream().filter(sc -> sc.setup != null).forEach(sc -> setups.add(sc.setup));
    if (setups.isEmpty()) {
      setups.add(BrokerSetup.SECURITY_OFF);
    }
    b.setups.addAll(setups);
    try {
      if (scenarios.contains(Scenario.FLOOR_RAW_UDS)) {
        b.floor = FloorServer.start(benchDir, pluginJava);
      }
      for (BrokerSetup setup : setups) {
        PluginBroker broker =
            setup.configure(PluginBroker.builder().pluginDirectory(pluginDir))
                // The plugin files' launcher runs $JAVA_HOME/bin/java.
                .environment("JAVA_HOME", pluginJava.toString())
                // A measured window runs inside one call to the caller plugin.
                .callTimeout(Duration.ofMinutes(5))
                .build();
        b.brokers.put(setup, broker);
        broker.start();
        for (String name : List.of(BenchCallerPlugin.NAME, BenchTargetPlugin.NAME)) {
          PluginInfo p =
              broker.plugin(name).orElseThrow(() -> new IllegalStateException(
                  "benchmark plugin " + name + " did not load from " + pluginDir + ": " + broker.plugins()));
          if (p.state() != PluginState.RUNNING) {
            throw new IllegalStateException("benchmark plugin " + name + " is " + p.state() + ": " + p);
          }
        }
        JsonNode addresses = b.call(setup, BenchTargetPlugin.NAME, "addresses", "read", "{}");
        b.directAddresses.put(
            setup,
            Map.of(
                "direct-default", addresses.path("default").asText(),
                "direct-tuned", addresses.path("tuned").asText(),
                "floor-raw-uds", b.floor == null ? "" : b.floor.address()));
      }
      return b;
    } catch (RuntimeException | IOException e) {
      b.close();
      throw e;
    }
  }

  /**
   * The JDK of every process of the run: {@code driver} (this JVM, the agent of the brokered
   * scenarios), each set-up's caller and target plugins, and the floor's echo server.
   */
  Map<String, Map<String, String>> jvms() {
    Map<String, Map<String, String>> jvms = new LinkedHashMap<>();
    jvms.put("driver", JvmInfo.of(ProcessHandle.current().pid()));
    for (BrokerSetup setup : setups) {
      for (String name : List.of(BenchCallerPlugin.NAME, BenchTargetPlugin.NAME)) {
        java.util.OptionalLong pid = brokers.get(setup).plugin(name).map(PluginInfo::pid).orElse(java.util.OptionalLong.empty());
        if (pid.isPresent()) {
          jvms.put(setup.name().toLowerCase(java.util.Locale.ROOT) + "/" + name, JvmInfo.of(pid.getAsLong()));
        }
      }
    }
    if (floor != null) {
      jvms.put("floor_echo_server", JvmInfo.of(floor.pid()));
    }
    return jvms;
  }

  /** Where the direct scenarios reach the first pair's target. */
  Map<String, String> directAddresses() {
    return directAddresses.get(setups.get(0));
  }

  /**
   * Runs every scenario for every payload and concurrency: an unrecorded warm pass (when
   * {@code s.warmPassMillis() > 0}), then {@code s.rounds()} recorded rounds. The warm pass runs
   * every route on every pair, mostly 64 B at 64 in flight (the most calls per second, so the JIT
   * compiles the call paths), then the largest payload briefly.
   */
  List<Cell> run(Settings s, java.util.function.Consumer<String> progress) {
    Scenario[] scenarios = s.scenarios().toArray(new Scenario[0]);
    Map<String, Cell> cells = new LinkedHashMap<>();
    for (int payload : s.payloads()) {
      for (int inFlight : s.inFlights()) {
        for (Scenario sc : scenarios) {
          cells.put(key(sc, payload, inFlight), new Cell(sc, payload, inFlight));
        }
      }
    }
    if (s.warmPassMillis() > 0) {
      progress.accept("warm pass: every route on every pair of plugin processes, not recorded");
      int largest = s.payloads().stream().max(Integer::compare).orElse(64);
      for (BrokerSetup setup : setups) {
        for (Scenario sc : scenarios) {
          if (sc.direct() || sc.setup == setup) {
            segment(setup, sc, 64, 64, s.warmPassMillis(), 1);
            segment(setup, sc, largest, 1, s.warmPassMillis() / 4, 1);
          }
        }
      }
    }
    int turn = 0;
    for (int round = 0; round < s.rounds(); round++) {
      progress.accept("round " + (round + 1) + " of " + s.rounds());
      for (int payload : s.payloads()) {
        for (int inFlight : s.inFlights()) {
          for (int i = 0; i < scenarios.length; i++) {
            Scenario sc = scenarios[(i + turn) % scenarios.length];
            BrokerSetup pair = sc.direct() ? setups.get((turn + i) % setups.size()) : sc.setup;
            long agentCpu = ProcessCpu.nanos();
            long targetCpu = targetCpu(pair, sc);
            JsonNode r = segment(pair, sc, payload, inFlight, s.warmupMillis(), s.measureMillis());
            cells.get(key(sc, payload, inFlight))
                .addCpu(
                    r.path("all_calls").asLong(),
                    r.path("cpu_ns").asLong(),
                    ProcessCpu.nanos() - agentCpu,
                    targetCpu(pair, sc) - targetCpu);
            cells.get(key(sc, payload, inFlight))
                .add(
                    r.path("histogram").asText(),
                    r.path("window_ns").asLong(),
                    r.path("errors").asLong(),
                    r.path("first_error").asText());
          }
          turn++;
        }
      }
    }
    return new ArrayList<>(cells.values());
  }

  private JsonNode segment(
      BrokerSetup pair, Scenario sc, int payload, int inFlight, long warmupMillis, long measureMillis) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("route", sc.route);
    spec.put("address", sc.direct() ? directAddresses.get(pair).get(sc.route) : "");
    spec.put("payload_bytes", payload);
    spec.put("in_flight", inFlight);
    spec.put("warmup_ms", warmupMillis);
    spec.put("measure_ms", measureMillis);
    try {
      return call(pair, BenchCallerPlugin.NAME, BenchCallerPlugin.RUN, "create", JSON.writeValueAsString(spec));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The CPU time of whatever answers {@code sc}'s calls: the target plugin, or the floor's server. */
  private long targetCpu(BrokerSetup pair, Scenario sc) {
    if (sc.floor()) {
      return floor.cpuNanos();
    }
    try {
      return call(pair, BenchTargetPlugin.NAME, "cpu", "read", "{}").path("cpu_ns").asLong();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonNode call(BrokerSetup setup, String plugin, String path, String action, String body)
      throws IOException {
    try {
      var response = brokers.get(setup)
          .call(plugin, path, io.dtac.core.Action.fromWireName(action),
              Request.builder().body(body.getBytes(java.nio.charset.StandardCharsets.UTF_8)).build());
      return JSON.readTree(response.value());
    } catch (io.dtac.core.PluginCallException e) {
      throw new IOException("benchmark call " + plugin + " " + action + ":" + path + " failed: " + e.getMessage(), e);
    }
  }

  private static String key(Scenario sc, int payload, int inFlight) {
    return sc + "/" + payload + "/" + inFlight;
  }

  /** Stops every broker and its plugin processes, and the floor's server. Idempotent. */
  @Override
  public void close() {
    brokers.values().forEach(PluginBroker::close);
    if (floor != null) {
      floor.close();
    }
  }
}
