package io.dtac.bench;

import java.util.List;
import java.util.Map;

/**
 * The benchmark's entry point: {@code ./bench [--quick]} at the repository root runs it. Measures
 * the example agent's start-up and memory (with its two plugins and with ten), then the scenarios
 * with real processes (the floor, direct, brokered), then the broker's own work with JMH;
 * writes {@code dtac-benchmarks/target/two-hop.json} and prints a table. Exits non-zero if anything
 * failed to run (never because of a timing).
 */
public final class TwoHopBenchmark {
  private TwoHopBenchmark() {}

  public static void main(String[] args) throws Exception {
    QuietLogs.apply();
    Settings settings;
    try {
      settings = Settings.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Report report = run(settings);
    report.print(System.out);
  }

  /** Runs everything {@code settings} ask for and writes the JSON. */
  static Report run(Settings settings) throws Exception {
    long t0 = System.nanoTime();
    String load = Report.loadAverage();
    Map<String, List<StartupMeasure.Start>> startup = Map.of();
    if (settings.startupRuns() > 0) {
      progress(t0, "example agent start-up and memory (two plugins, ten plugins), " + settings.startupRuns()
          + " run(s) per variant");
      startup = StartupMeasure.run(settings.benchDir(), settings.startupRuns(), !settings.quick(), settings.pluginJava());
    }
    List<Cell> cells;
    Map<String, String> addresses;
    Map<String, Map<String, String>> jvms;
    progress(t0, "starting the agents, the benchmark plugins and the floor's echo server");
    try (ProcessBenchmark bench = ProcessBenchmark.start(
        settings.benchDir(), settings.benchDir().resolve("bench-plugins"), settings.scenarios(), settings.pluginJava())) {
      addresses = Map.copyOf(bench.directAddresses());
      jvms = bench.jvms();
      cells = bench.run(settings, m -> progress(t0, m));
    }
    Map<String, OverheadBenchmarks.Score> jmh = Map.of();
    if (settings.jmh()) {
      progress(t0, "JMH: the broker's own work in-process");
      jmh = OverheadBenchmarks.run(settings.quick());
    }
    Report report = new Report(load, settings, cells, jmh, startup, addresses, jvms);
    report.write();
    progress(t0, "done");
    return report;
  }

  private static void progress(long t0, String what) {
    System.err.printf("[bench %5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
  }
}
