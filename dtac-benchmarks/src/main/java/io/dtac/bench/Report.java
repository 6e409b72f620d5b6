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
  private final Map<String, String> addresses;

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
      Map<String, List<Double>> startupVariants,
      Map<String, String> addresses) {
    this.loadAtStart = loadAtStart;
    this.settings = settings;
    this.cells = cells;
    this.jmh = jmh;
    this.startupVariants = startupVariants;
    this.startup = startupVariants.getOrDefault("default", List.of());
    this.addresses = addresses;
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

    ArrayNode targets = root.putArray("targets");
    for (Target t : targets()) {
      ObjectNode n = targets.addObject();
      n.put("name", t.name);
      n.put("scenario", t.scenario);
      n.put("limit", t.limit);
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

  /** One target of the issue: {@code measured <= limit} (or {@code >=} when not atMost). */
  record Target(String name, String scenario, double measured, double limit, boolean atMost) {
    boolean met() {
      return atMost ? measured <= limit : measured >= limit;
    }
  }

  List<Target> targets() {
    List<Target> t = new ArrayList<>();
    for (Scenario b : BROKERED) {
      t.add(new Target(
          "brokered p50 / direct default p50 (64 B, 1 in flight)", b.label,
          ratio(cell(b, TARGET_PAYLOAD, 1).p50Micros(), cell(Scenario.DIRECT_DEFAULT, TARGET_PAYLOAD, 1).p50Micros()),
          1.0, true));
      t.add(new Target(
          "brokered calls/s / direct default calls/s (64 B, 64 in flight)", b.label,
          ratio(cell(b, TARGET_PAYLOAD, 64).callsPerSecond(), cell(Scenario.DIRECT_DEFAULT, TARGET_PAYLOAD, 64).callsPerSecond()),
          1.0, false));
      t.add(new Target(
          "brokered p50 / tuned direct p50 (64 B, 1 in flight)", b.label,
          ratio(cell(b, TARGET_PAYLOAD, 1).p50Micros(), cell(Scenario.DIRECT_TUNED, TARGET_PAYLOAD, 1).p50Micros()),
          1.6, true));
    }
    t.add(new Target("broker's own work per call, us (JMH)", "jmh", brokerOwnWorkMicros(), 5.0, true));
    Double start = startupMillis();
    t.add(new Target(
        "example agent ready with both plugins, ms from process start (median)", "startup",
        start == null ? Double.NaN : start, 1500, true));
    Double cds = median(startupVariants.getOrDefault("cds", List.of()));
    if (cds != null) {
      t.add(new Target(
          "example agent ready with both plugins, ms, with CDS archives (median)", "startup_cds", cds, 1500, true));
    }
    return t;
  }

  void print(PrintStream out) {
    out.printf(Locale.ROOT, "%nTwo brokered hops vs one direct call: %s mode, %d round(s) x %d ms per scenario,"
        + " %d cores, %s%n", settings.quick() ? "quick" : "full", settings.rounds(), settings.measureMillis(),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.runtime.version"));
    out.printf("load average at start: %s, at end: %s (other work on the machine skews every figure)%n",
        loadAtStart, loadAverage());
    out.printf(Locale.ROOT, "%-9s %-4s %-22s %9s %9s %10s %9s   %-21s %-14s%n",
        "payload", "inf", "scenario", "p50 us", "p99 us", "calls/s", "cpu us", "vs direct_default", "vs direct_tuned");
    for (int payload : settings.payloads()) {
      for (int inFlight : settings.inFlights()) {
        for (Scenario s : settings.scenarios()) {
          Cell c = cell(s, payload, inFlight);
          String vsDefault = "";
          String vsTuned = "";
          if (!s.direct()) {
            Cell d = cell(Scenario.DIRECT_DEFAULT, payload, inFlight);
            Cell t = cell(Scenario.DIRECT_TUNED, payload, inFlight);
            vsDefault = String.format(Locale.ROOT, "p50 %.2fx, tput %.2fx",
                ratio(c.p50Micros(), d.p50Micros()), ratio(c.callsPerSecond(), d.callsPerSecond()));
            vsTuned = String.format(Locale.ROOT, "p50 %.2fx", ratio(c.p50Micros(), t.p50Micros()));
          }
          double[] cpu = c.cpuMicrosPerCall();
          out.printf(Locale.ROOT, "%-9s %-4d %-22s %9.1f %9.1f %10.0f %9.1f   %-21s %-14s%s%n",
              size(payload), inFlight, s.label, c.p50Micros(), c.p99Micros(), c.callsPerSecond(),
              cpu[0] + cpu[1] + cpu[2], vsDefault, vsTuned, c.errors() > 0 ? "  ERRORS: " + c.errors() + " " + c.firstError() : "");
        }
      }
    }
    out.printf("(cpu us: CPU time of caller + agent + target per call, warm-up included;"
        + " on a busy machine it is steadier than latency)%n");
    if (!jmh.isEmpty()) {
      out.printf(Locale.ROOT, "%nBroker's own work, JMH in-process (us/call):%n");
      jmh.forEach((name, s) -> out.printf(Locale.ROOT, "  %-14s %8.2f +- %.2f%n", name, s.micros(), s.error()));
      out.printf(Locale.ROOT, "  brokerForward - bareForward = %.2f us%n", brokerOwnWorkMicros());
    }
    startupVariants.forEach((name, times) -> out.printf(Locale.ROOT,
        "%nExample agent ready with both plugins (%s): median %.0f ms (runs: %s)", name, median(times),
        times.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList()));
    out.println();
    out.printf(Locale.ROOT, "%nTargets:%n");
    for (Target t : targets()) {
      out.printf(Locale.ROOT, "  %-4s %-72s %-22s %10s %s %s%n",
          Double.isNaN(t.measured) ? "n/a" : t.met() ? "MET" : "MISS", t.name, t.scenario,
          Double.isNaN(t.measured) ? "-" : String.format(Locale.ROOT, "%.2f", t.measured),
          t.atMost ? "<=" : ">=", fmt(t.limit));
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
