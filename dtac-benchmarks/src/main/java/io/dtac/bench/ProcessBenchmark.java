package io.dtac.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.dtac.bench.plugin.BenchCallerPlugin;
import io.dtac.bench.plugin.BenchTargetPlugin;
import io.dtac.broker.api.EndpointRequest;
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
 */
final class ProcessBenchmark implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<BrokerSetup, PluginBroker> brokers = new EnumMap<>(BrokerSetup.class);
  private final Map<String, String> directAddresses = new LinkedHashMap<>();

  private ProcessBenchmark() {}

  /** Starts one broker per set-up over {@code pluginDir} and checks that both plugins run. */
  static ProcessBenchmark start(Path pluginDir) throws IOException {
    ProcessBenchmark b = new ProcessBenchmark();
    try {
      for (BrokerSetup setup : BrokerSetup.values()) {
        PluginBroker broker =
            setup.configure(PluginBroker.builder().pluginDirectory(pluginDir))
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
      }
      JsonNode addresses =
          b.call(BrokerSetup.SECURITY_OFF, BenchTargetPlugin.NAME, "addresses", "read", "{}");
      b.directAddresses.put("direct-default", addresses.path("default").asText());
      b.directAddresses.put("direct-tuned", addresses.path("tuned").asText());
      return b;
    } catch (RuntimeException | IOException e) {
      b.close();
      throw e;
    }
  }

  /** Where the direct scenarios reach the target. */
  Map<String, String> directAddresses() {
    return directAddresses;
  }

  /**
   * Runs every scenario for every payload and concurrency: an unrecorded warm pass (when
   * {@code s.warmPassMillis() > 0}), then {@code s.rounds()} recorded rounds.
   */
  List<Cell> run(Settings s, java.util.function.Consumer<String> progress) {
    Scenario[] scenarios = Scenario.values();
    Map<String, Cell> cells = new LinkedHashMap<>();
    for (int payload : s.payloads()) {
      for (int inFlight : s.inFlights()) {
        for (Scenario sc : scenarios) {
          cells.put(key(sc, payload, inFlight), new Cell(sc, payload, inFlight));
        }
      }
    }
    if (s.warmPassMillis() > 0) {
      progress.accept("warm pass: every scenario once, not recorded");
      for (int payload : s.payloads()) {
        for (int inFlight : s.inFlights()) {
          for (Scenario sc : scenarios) {
            segment(sc, payload, inFlight, s.warmPassMillis(), 1);
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
            JsonNode r = segment(sc, payload, inFlight, s.warmupMillis(), s.measureMillis());
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

  private JsonNode segment(Scenario sc, int payload, int inFlight, long warmupMillis, long measureMillis) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("route", sc.route);
    spec.put("address", sc.direct() ? directAddresses.get(sc.route) : "");
    spec.put("payload_bytes", payload);
    spec.put("in_flight", inFlight);
    spec.put("warmup_ms", warmupMillis);
    spec.put("measure_ms", measureMillis);
    try {
      return call(sc.setup, BenchCallerPlugin.NAME, BenchCallerPlugin.RUN, "create", JSON.writeValueAsString(spec));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private JsonNode call(BrokerSetup setup, String plugin, String path, String action, String body)
      throws IOException {
    var response =
        brokers.get(setup)
            .call(plugin, path, action, EndpointRequest.newBuilder().setBody(ByteString.copyFromUtf8(body)).build());
    return JSON.readTree(response.getValue().toByteArray());
  }

  private static String key(Scenario sc, int payload, int inFlight) {
    return sc + "/" + payload + "/" + inFlight;
  }

  /** Stops every broker and its plugin processes. Idempotent. */
  @Override
  public void close() {
    brokers.values().forEach(PluginBroker::close);
  }
}
