package io.dtac.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Turns the measurements into {@code two-hop.json} and the printed table. */
final class Report {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Scenario[] BROKERED = {
    Scenario.BROKERED_DEFAULT, Scenario.BROKERED_TLS_ON, Scenario.BROKERED_SECURITY_OFF
  };
  private static final Scenario[] BASELINES = {Scenario.DIRECT_DEFAULT, Scenario.DIRECT_TUNED};
  private static final int TARGET_PAYLOAD = 64;

  private final String loadAtStart;
  private final Settings settings;
  private final List<Cell> cells;
  private final Map<String, OverheadBenchmarks.Score> jmh;
  private final List<Double> startup;
  private final Map<String, List<Double>> startupVariants;
  private final Map<String, List<StartupMeasure.Start>> starts;
  private final Map<String, String> addresses;
  private final Map<String, Map<String, String>> jvms;

  /** /proc/loadavg's 1, 5 and 15 minute figures ("" where there is none): other work skews results. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  Report(
      String loadAtStart,
      Settings settings,
      List<Cell> cells,
      Map<String, OverheadBenchmarks.Score> jmh,
      Map<String, List<StartupMeasure.Start>> starts,
      Map<String, String> addresses,
      Map<String, Map<String, String>> jvms) {
    this.loadAtStart = loadAtStart;
    this.settings = settings;
    this.cells = cells;
    this.jmh = jmh;
    this.starts = starts;
    Map<String, List<Double>> variants = new java.util.LinkedHashMap<>();
    starts.forEach((name, list) -> variants.put(name, list.stream().map(StartupMeasure.Start::readyMillis).toList()));
    this.startupVariants = variants;
    this.startup = startupVariants.getOrDefault("default", List.of());
    this.addresses = addresses;
    this.jvms = jvms;
  }

  private Cell cell(Scenario s, int payload, int inFlight) {
    for (Cell c : cells) {
      if (c.scenario == s && c.payloadBytes == payload && c.inFlight == inFlight) {
        return c;
      }
    }
    // Not measured in this run (a subset was asked for): no calls, so every figure is NaN.
    return new Cell(s, payload, inFlight);
  }

  /** The broker's own work per call from JMH: brokerForward - bareForward, or NaN without JMH. */
  double brokerOwnWorkMicros() {
    if (jmh.containsKey("brokerForward") && jmh.containsKey("bareForward")) {
      return jmh.get("brokerForward").micros() - jmh.get("bareForward").micros();
    }
    return Double.NaN;
  }

  Double startupMillis() {
    return median(startup);
  }

  /**
   * The median over the runs of {@code variant} of one memory figure, MiB; NaN where there is none.
   */
  double memoryMib(String variant, java.util.function.ToDoubleFunction<ProcessTreeMemory.Reading> figure) {
    List<Double> values = new ArrayList<>();
    for (StartupMeasure.Start st : starts.getOrDefault(variant, List.of())) {
      if (st.memory() != null) {
        double v = figure.applyAsDouble(st.memory());
        if (!Double.isNaN(v)) {
          values.add(v);
        }
      }
    }
    Double m = median(values);
    return m == null ? Double.NaN : m;
  }

  /** An idle example plugin: hello, in the two-plugin agent. */
  double idleExamplePluginMib() {
    return memoryMib("default", r -> r.pluginsMib().getOrDefault(ExamplePlugins.HELLO_NAME, Double.NaN));
  }

  /** The idle example agent's own process (its two plugins not counted). */
  double idleExampleAgentMib() {
    return memoryMib("default", ProcessTreeMemory.Reading::agentMib);
  }

  private static double medianOf(java.util.Collection<Double> values) {
    Double m = median(new ArrayList<>(values));
    return m == null ? Double.NaN : m;
  }

  private static Double median(List<Double> values) {
    if (values.isEmpty()) {
      return null;
    }
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

  void write() throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("generated_at", Instant.now().toString());
    root.put("mode", settings.quick() ? "quick" : "full");
    ObjectNode machine = root.putObject("machine");
    machine.put("cores", Runtime.getRuntime().availableProcessors());
    machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    machine.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    machine.put("load_average_at_start", loadAtStart);
    machine.put("load_average_at_end", loadAverage());
    ObjectNode run = root.putObject("settings");
    run.put("rounds", settings.rounds());
    run.put("warm_pass_ms", settings.warmPassMillis());
    run.put("warmup_ms", settings.warmupMillis());
    run.put("measure_ms", settings.measureMillis());
    run.put("plugin_java_home", settings.pluginJava().toString());
    addresses.forEach((k, v) -> run.put(k + "_address", v));

    ArrayNode scenarios = root.putArray("scenarios");
    for (Cell c : cells) {
      ObjectNode n = scenarios.addObject();
      n.put("name", c.scenario.label);
      n.put("payload_bytes", c.payloadBytes);
      n.put("in_flight", c.inFlight);
      num(n, "p50_us", c.p50Micros());
      num(n, "p99_us", c.p99Micros());
      num(n, "calls_per_s", c.callsPerSecond());
      n.put("calls", c.count());
      double[] cpu = c.cpuMicrosPerCall();
      num(n, "cpu_us_per_call", cpu[0] + cpu[1] + cpu[2]);
      ObjectNode split = n.putObject("cpu_us_per_call_by_process");
      num(split, "caller", cpu[0]);
      num(split, "agent", cpu[1]);
      num(split, "target", cpu[2]);
      n.put("errors", c.errors());
      if (c.errors() > 0) {
        n.put("first_error", c.firstError());
      }
    }

    ArrayNode ratios = root.putArray("ratios");
    for (int payload : settings.payloads()) {
      for (int inFlight : settings.inFlights()) {
        for (Scenario b : BROKERED) {
          for (Scenario base : BASELINES) {
            Cell x = cell(b, payload, inFlight);
            Cell y = cell(base, payload, inFlight);
            ObjectNode n = ratios.addObject();
            n.put("scenario", b.label);
            n.put("baseline", base.label);
            n.put("payload_bytes", payload);
            n.put("in_flight", inFlight);
            num(n, "p50", ratio(x.p50Micros(), y.p50Micros()));
            num(n, "p99", ratio(x.p99Micros(), y.p99Micros()));
            num(n, "calls_per_s", ratio(x.callsPerSecond(), y.callsPerSecond()));
          }
        }
        // How far each path is from the floor, the raw round trip between two JVMs.
        if (settings.scenarios().contains(Scenario.FLOOR_RAW_UDS)) {
          Cell y = cell(Scenario.FLOOR_RAW_UDS, payload, inFlight);
          for (Scenario sc : settings.scenarios()) {
            if (sc.floor()) {
              continue;
            }
            Cell x = cell(sc, payload, inFlight);
            ObjectNode n = ratios.addObject();
            n.put("scenario", sc.label);
            n.put("baseline", Scenario.FLOOR_RAW_UDS.label);
            n.put("payload_bytes", payload);
            n.put("in_flight", inFlight);
            num(n, "p50", ratio(x.p50Micros(), y.p50Micros()));
            num(n, "p99", ratio(x.p99Micros(), y.p99Micros()));
            num(n, "calls_per_s", ratio(x.callsPerSecond(), y.callsPerSecond()));
          }
        }
      }
    }

    ObjectNode overhead = root.putObject("broker_overhead_jmh");
    overhead.put("unit", "us/call");
    jmh.forEach((name, score) -> {
      ObjectNode n = overhead.putObject(name);
      num(n, "score", score.micros());
      num(n, "error", score.error());
    });
    double own = brokerOwnWorkMicros();
    if (!jmh.isEmpty()) {
      num(overhead, "broker_own_work_us", own);
    }
    if (jmh.containsKey("routerCall") && jmh.containsKey("directCall")) {
      num(overhead, "router_own_work_us", jmh.get("routerCall").micros() - jmh.get("directCall").micros());
    }

    Double start = startupMillis();
    if (start == null) {
      root.putNull("startup_ms");
    } else {
      root.put("startup_ms", round(start));
    }
    ArrayNode runs = root.putArray("startup_runs_ms");
    startup.forEach(t -> runs.add(round(t)));
    ObjectNode variants = root.putObject("startup_variants");
    startupVariants.forEach((name, times) -> {
      ObjectNode v = variants.putObject(name);
      v.put("median_ms", round(median(times)));
      ArrayNode r = v.putArray("runs_ms");
      times.forEach(t -> r.add(round(t)));
    });

    ObjectNode ten = root.putObject("ten_plugins");
    ten.put("agent", "the example agent (ExampleAgent agent, as ./dtac agent runs it), broker defaults");
    ten.put("plugin_file", ExamplePlugins.HELLO_FILE);
    ten.put("copies", ExamplePlugins.COPIES);
    ten.put("calls_per_plugin_before_memory", StartupMeasure.CALLS);
    List<Double> tenTimes = startupVariants.getOrDefault("ten_plugins", List.of());
    num(ten, "ready_ms", tenTimes.isEmpty() ? Double.NaN : median(tenTimes));
    ArrayNode tenRuns = ten.putArray("ready_runs_ms");
    tenTimes.forEach(t -> tenRuns.add(round(t)));
    memory(ten.putObject("rss_mib"), "ten_plugins");

    ObjectNode idle = root.putObject("idle_rss_mib");
    idle.put("source", "/proc/PID/status VmRSS, the two-plugin example agent (variant default), once idle after "
        + StartupMeasure.CALLS + " calls to each plugin; median over runs");
    num(idle, "example_plugin", idleExamplePluginMib());
    num(idle, "example_agent", idleExampleAgentMib());
    num(idle, "example_agent_tree", memoryMib("default", ProcessTreeMemory.Reading::totalMib));
    memory(idle.putObject("example_agent_detail"), "default");

    ObjectNode processes = root.putObject("jvms");
    jvms.forEach((name, info) -> processes.set(name, JSON.valueToTree(info)));
    for (Map.Entry<String, List<StartupMeasure.Start>> v : starts.entrySet()) {
      if (!v.getValue().isEmpty()) {
        v.getValue().get(0).jvms().forEach((name, info) ->
            processes.set("example_agent_" + v.getKey() + "/" + name, JSON.valueToTree(info)));
      }
    }

    ArrayNode targets = root.putArray("targets");
    for (Target t : targets()) {
      ObjectNode n = targets.addObject();
      n.put("name", t.name);
      n.put("scenario", t.scenario);
      n.put("limit", t.limit);
      n.put("unit", t.unit);
      n.put("at_most", t.atMost);
      if (Double.isNaN(t.measured)) {
        n.putNull("measured");
        n.putNull("met");
      } else {
        n.put("measured", round(t.measured));
        n.put("met", t.met());
      }
    }
    Files.createDirectories(settings.out().toAbsolutePath().getParent());
    JSON.writeValue(settings.out().toFile(), root);
  }

  /** One goal of issue 14: {@code measured <= limit} (or {@code >=} when not atMost), in {@code unit}. */
  record Target(String name, String scenario, double measured, double limit, boolean atMost, String unit) {
    boolean met() {
      return atMost ? measured <= limit : measured >= limit;
    }
  }

  /** Issue 14's goals, for the broker's default settings. */
  List<Target> targets() {
    Scenario b = Scenario.BROKERED_DEFAULT;
    Scenario d = Scenario.DIRECT_DEFAULT;
    List<Target> t = new ArrayList<>();
    t.add(new Target("p50 brokered / direct (64 B, 1 in flight)", b.label,
        ratio(cell(b, TARGET_PAYLOAD, 1).p50Micros(), cell(d, TARGET_PAYLOAD, 1).p50Micros()), 1.0, true, "x"));
    t.add(new Target("calls/s brokered / direct (64 B, 64 in flight)", b.label,
        ratio(cell(b, TARGET_PAYLOAD, 64).callsPerSecond(), cell(d, TARGET_PAYLOAD, 64).callsPerSecond()),
        1.0, false, "x"));
    t.add(new Target("calls/s brokered / direct (256 KiB, 64 in flight)", b.label,
        ratio(cell(b, 262144, 64).callsPerSecond(), cell(d, 262144, 64).callsPerSecond()), 0.8, false, "x"));
    t.add(new Target("broker's own work per call (JMH brokerForward - bareForward)", "jmh",
        brokerOwnWorkMicros(), 3.0, true, "us"));
    Double start = startupMillis();
    t.add(new Target("example agent ready with both plugins (median, from fork)", "startup",
        start == null ? Double.NaN : start, 1500, true, "ms"));
    t.add(new Target("RSS of an idle example plugin (hello)", "idle_rss", idleExamplePluginMib(), 64, true, "MiB"));
    t.add(new Target("RSS of the idle example agent (its own process)", "idle_rss", idleExampleAgentMib(), 128, true,
        "MiB"));
    return t;
  }

  /** The median memory figures of one start-up variant into {@code n}. */
  private void memory(ObjectNode n, String variant) {
    num(n, "total", memoryMib(variant, ProcessTreeMemory.Reading::totalMib));
    num(n, "agent", memoryMib(variant, ProcessTreeMemory.Reading::agentMib));
    num(n, "plugins", memoryMib(variant, r -> r.pluginsMib().values().stream().mapToDouble(Double::doubleValue).sum()));
    num(n, "plugin_median", memoryMib(variant, r -> medianOf(r.pluginsMib().values())));
    num(n, "other", memoryMib(variant, ProcessTreeMemory.Reading::otherMib));
    num(n, "plugin_processes", memoryMib(variant, r -> r.pluginsMib().size()));
    num(n, "processes", memoryMib(variant, ProcessTreeMemory.Reading::processes));
    ArrayNode runs = n.putArray("runs_total");
    starts.getOrDefault(variant, List.of()).stream().filter(st -> st.memory() != null)
        .forEach(st -> runs.add(round(st.memory().totalMib())));
  }

  void print(PrintStream out) {
    out.printf(Locale.ROOT, "%nTwo brokered hops vs one direct call: %s mode, %d round(s) x %d ms per scenario,"
        + " %d cores, %s%n", settings.quick() ? "quick" : "full", settings.rounds(), settings.measureMillis(),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.runtime.version"));
    out.printf("load average at start: %s, at end: %s (other work on the machine skews every figure)%n",
        loadAtStart, loadAverage());
    out.printf(Locale.ROOT, "%-9s %-4s %-22s %9s %9s %10s %9s   %-22s %-21s %-14s%n",
        "payload", "inf", "scenario", "p50 us", "p99 us", "calls/s", "cpu us", "vs floor_raw_uds",
        "vs direct_default", "vs direct_tuned");
    for (int payload : settings.payloads()) {
      for (int inFlight : settings.inFlights()) {
        for (Scenario s : settings.scenarios()) {
          Cell c = cell(s, payload, inFlight);
          String vsDefault = "";
          String vsTuned = "";
          String vsFloor = "";
          if (!s.floor() && settings.scenarios().contains(Scenario.FLOOR_RAW_UDS)) {
            Cell f = cell(Scenario.FLOOR_RAW_UDS, payload, inFlight);
            vsFloor = String.format(Locale.ROOT, "p50 %.2fx, tput %.2fx",
                ratio(c.p50Micros(), f.p50Micros()), ratio(c.callsPerSecond(), f.callsPerSecond()));
          }
          if (!s.direct()) {
            Cell d = cell(Scenario.DIRECT_DEFAULT, payload, inFlight);
            Cell t = cell(Scenario.DIRECT_TUNED, payload, inFlight);
            vsDefault = String.format(Locale.ROOT, "p50 %.2fx, tput %.2fx",
                ratio(c.p50Micros(), d.p50Micros()), ratio(c.callsPerSecond(), d.callsPerSecond()));
            vsTuned = String.format(Locale.ROOT, "p50 %.2fx", ratio(c.p50Micros(), t.p50Micros()));
          }
          double[] cpu = c.cpuMicrosPerCall();
          out.printf(Locale.ROOT, "%-9s %-4d %-22s %9.1f %9.1f %10.0f %9.1f   %-22s %-21s %-14s%s%n",
              size(payload), inFlight, s.label, c.p50Micros(), c.p99Micros(), c.callsPerSecond(),
              cpu[0] + cpu[1] + cpu[2], vsFloor, vsDefault, vsTuned, c.errors() > 0 ? "  ERRORS: " + c.errors() + " " + c.firstError() : "");
        }
      }
    }
    out.printf("(cpu us: CPU time of caller + agent + target per call, warm-up included;"
        + " on a busy machine it is steadier than latency; floor_raw_uds: a raw Unix-socket round trip"
        + " between the caller and an echo server JVM, no gRPC, one connection per call in flight)%n");
    if (!jmh.isEmpty()) {
      out.printf(Locale.ROOT, "%nBroker's own work, JMH in-process (us/call):%n");
      jmh.forEach((name, s) -> out.printf(Locale.ROOT, "  %-14s %8.2f +- %.2f%n", name, s.micros(), s.error()));
      out.printf(Locale.ROOT, "  brokerForward - bareForward = %.2f us%n", brokerOwnWorkMicros());
    }
    startupVariants.forEach((name, times) -> out.printf(Locale.ROOT,
        "%nExample agent ready with %s (%s): median %.0f ms (runs: %s)",
        name.equals("ten_plugins") ? ExamplePlugins.COPIES + " copies of hello" : "both plugins", name,
        median(times), times.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList()));
    out.println();
    for (String variant : List.of("default", "ten_plugins")) {
      if (starts.getOrDefault(variant, List.of()).stream().anyMatch(st -> st.memory() != null)) {
        out.printf(Locale.ROOT, "Idle RSS, %s (MiB, median of runs, after %d calls per plugin): total %.1f ="
                + " agent %.1f + %.0f plugin processes %.1f (median %.1f each) + other %.1f%n",
            variant.equals("default") ? "agent with hello and calculator" : "agent with ten copies of hello",
            StartupMeasure.CALLS,
            memoryMib(variant, ProcessTreeMemory.Reading::totalMib),
            memoryMib(variant, ProcessTreeMemory.Reading::agentMib),
            memoryMib(variant, r -> r.pluginsMib().size()),
            memoryMib(variant, r -> r.pluginsMib().values().stream().mapToDouble(Double::doubleValue).sum()),
            memoryMib(variant, r -> medianOf(r.pluginsMib().values())),
            memoryMib(variant, ProcessTreeMemory.Reading::otherMib));
      }
    }
    out.printf("JVMs: driver %s; plugins and example agent %s (%s)%n",
        jvms.getOrDefault("driver", Map.of()).getOrDefault("java_version", "?"),
        JvmInfo.version(settings.pluginJava()), settings.pluginJava());
    out.printf(Locale.ROOT, "%nTargets:%n");
    for (Target t : targets()) {
      out.printf(Locale.ROOT, "  %-4s %-62s %-18s %10s %s %s %s%n",
          Double.isNaN(t.measured) ? "n/a" : t.met() ? "MET" : "MISS", t.name, t.scenario,
          Double.isNaN(t.measured) ? "-" : String.format(Locale.ROOT, "%.2f", t.measured),
          t.atMost ? "<=" : ">=", fmt(t.limit), t.unit);
    }
    out.printf("%nJSON: %s%n", settings.out());
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String size(int bytes) {
    return bytes >= 1024 ? bytes / 1024 + " KiB" : bytes + " B";
  }

  private static double ratio(double a, double b) {
    return b == 0 || Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : a / b;
  }

  /** JSON has no NaN: a value that could not be measured is null. */
  private static void num(ObjectNode n, String field, double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      n.putNull(field);
    } else {
      n.put(field, round(v));
    }
  }

  private static double round(double v) {
    return Double.isNaN(v) || Double.isInfinite(v) ? v : Math.round(v * 100) / 100.0;
  }
}
