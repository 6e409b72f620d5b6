package io.dtac.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's quick mode, run as the documented command runs it (its own JVM, the build's
 * target/lib classpath, real plugin processes): it must finish and write well-formed JSON with
 * every scenario (the floor included), the ten-plugin and memory figures, the JDK of each process
 * and issue 14's goals. Timings are never asserted; only that each scenario made error-free calls
 * and that each figure is there.
 */
class QuickBenchmarkIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void quickRunWritesEveryScenarioRatioTargetStartupTimeAndMemory() throws Exception {
    Path dir = Path.of(System.getProperty("dtac.bench.dir", "target")).toAbsolutePath();
    Path out = dir.resolve("two-hop-quick.json");
    Files.deleteIfExists(out);
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Ddtac.bench.dir=" + dir,
                "-cp",
                dir.resolve("lib") + "/*",
                TwoHopBenchmark.class.getName(),
                "--quick",
                "--out",
                out.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("two-hop-quick.log").toFile())
            .start();
    try {
      boolean finished = p.waitFor(3, TimeUnit.MINUTES);
      assertTrue(finished, "the quick benchmark did not finish within 3 minutes; see " + log(dir));
      assertEquals(0, p.exitValue(), "the quick benchmark failed:\n" + log(dir));
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }

    JsonNode root = JSON.readTree(out.toFile());
    JsonNode scenarios = root.path("scenarios");
    assertEquals(6 * 3 * 2, scenarios.size(), "6 scenarios x 3 payloads x 2 concurrencies");
    Set<String> seen = new HashSet<>();
    for (JsonNode s : scenarios) {
      String where = s.toString();
      seen.add(s.path("name").asText() + "/" + s.path("payload_bytes").asInt() + "/" + s.path("in_flight").asInt());
      assertTrue(s.path("calls").asLong() > 0, "no call completed: " + where);
      assertEquals(0, s.path("errors").asLong(), "calls failed: " + where);
      for (String field : List.of("p50_us", "p99_us", "calls_per_s")) {
        assertTrue(s.path(field).isNumber() && s.path(field).asDouble() > 0, field + " missing: " + where);
      }
    }
    for (String name : List.of("floor_raw_uds", "direct_default", "direct_tuned", "brokered_default", "brokered_tls_on",
        "brokered_security_off")) {
      for (int payload : List.of(64, 4096, 262144)) {
        for (int inFlight : List.of(1, 64)) {
          assertTrue(seen.contains(name + "/" + payload + "/" + inFlight), name + "/" + payload + "/" + inFlight);
        }
      }
    }
    assertEquals((3 * 2 + 5) * 3 * 2, root.path("ratios").size(),
        "(3 brokered x 2 direct baselines + 5 scenarios x the floor) x 6 cells");
    root.path("ratios").forEach(r -> assertTrue(r.path("p50").isNumber(), r.toString()));
    long vsFloor = 0;
    for (JsonNode r : root.path("ratios")) {
      if (r.path("baseline").asText().equals("floor_raw_uds")) {
        vsFloor++;
        assertTrue(r.path("calls_per_s").isNumber(), r.toString());
      }
    }
    assertEquals(5 * 3 * 2, vsFloor, "every other scenario against the floor, in every cell");
    assertTrue(root.path("startup_ms").asDouble() > 0, "startup_ms: " + root.path("startup_ms"));
    JsonNode jmh = root.path("broker_overhead_jmh");
    for (String b : List.of("directCall", "routerCall", "bareForward", "brokerForward")) {
      assertTrue(jmh.path(b).path("score").asDouble() > 0, "JMH " + b + ": " + jmh);
    }
    assertTrue(jmh.path("broker_own_work_us").isNumber(), jmh.toString());
    JsonNode ten = root.path("ten_plugins");
    assertEquals(10, ten.path("copies").asInt(), ten.toString());
    assertTrue(ten.path("ready_ms").asDouble() > 0, "ten_plugins.ready_ms: " + ten);
    assertEquals(10, ten.path("rss_mib").path("plugin_processes").asInt(), "ten plugin processes measured: " + ten);
    for (String f : List.of("total", "agent", "plugins", "plugin_median")) {
      assertTrue(ten.path("rss_mib").path(f).asDouble() > 0, "ten_plugins.rss_mib." + f + ": " + ten);
    }
    JsonNode idle = root.path("idle_rss_mib");
    for (String f : List.of("example_plugin", "example_agent", "example_agent_tree")) {
      assertTrue(idle.path(f).asDouble() > 0, "idle_rss_mib." + f + ": " + idle);
    }
    JsonNode jvms = root.path("jvms");
    for (String process : List.of("driver", "floor_echo_server", "defaults/BenchCaller", "defaults/BenchTarget",
        "example_agent_default/agent", "example_agent_default/HelloPlugin", "example_agent_ten_plugins/HelloPlug10")) {
      assertTrue(jvms.path(process).path("java_version").asText().matches("\\d+.*"), process + ": " + jvms);
    }

    JsonNode targets = root.path("targets");
    assertEquals(7, targets.size(), "issue 14's seven goals: " + targets);
    Set<String> units = new HashSet<>();
    for (JsonNode t : targets) {
      assertTrue(t.path("met").isBoolean(), t.toString());
      assertTrue(t.path("measured").isNumber() && t.path("limit").isNumber(), t.toString());
      units.add(t.path("unit").asText());
    }
    assertEquals(Set.of("x", "us", "ms", "MiB"), units, targets.toString());
    assertFalse(Files.readString(dir.resolve("two-hop-quick.log"), StandardCharsets.UTF_8).contains("Exception in thread"));
  }

  private static String log(Path dir) throws IOException {
    return Files.readString(dir.resolve("two-hop-quick.log"), StandardCharsets.UTF_8);
  }
}
