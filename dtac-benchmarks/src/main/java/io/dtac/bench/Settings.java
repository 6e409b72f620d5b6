package io.dtac.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The benchmark's command line. */
record Settings(
    boolean quick,
    Path benchDir,
    Path out,
    List<Integer> payloads,
    List<Integer> inFlights,
    List<Scenario> scenarios,
    int rounds,
    long warmPassMillis,
    long warmupMillis,
    long measureMillis,
    int startupRuns,
    boolean jmh,
    Path pluginJava) {

  static final String USAGE =
      "usage: bench [--quick] [--out FILE] [--rounds N] [--measure-ms N] [--warmup-ms N]"
          + " [--startup-runs N] [--no-jmh] [--payloads 64,4096,262144] [--in-flight 1,64] [--levers]"
          + " [--plugin-java JDK]\n"
          + "  --quick         seconds, not minutes: checks that everything runs; numbers are rough\n"
          + "  --out FILE      where the JSON goes (default: dtac-benchmarks/target/two-hop.json)\n"
          + "  --rounds N      interleaved rounds over all scenarios (default 3)\n"
          + "  --measure-ms N  measured window of one scenario in one round (default 1200)\n"
          + "  --warmup-ms N   warm-up before each measured window (default 200)\n"
          + "  --startup-runs N  example agent start-ups per variant, and of the ten-plugin agent (default 3;"
          + " 0 skips them)\n"
          + "  --plugin-java JDK  run the plugin processes, the floor's echo server and, for start-up and"
          + " memory, the example agent on the JDK at this JAVA_HOME (default: the benchmark's own JDK);"
          + " e.g. /usr/lib/jvm/temurin-25-jdk-amd64\n"
          + "  --no-jmh        skip the JMH benchmarks of the broker's own work\n"
          + "  --levers        also run the lever scenarios (brokered over TCP only)\n"
          + "  --payloads LIST / --in-flight LIST  a subset of the cells (targets need 64 B at 1 and 64)";

  static Settings parse(String[] args) {
    boolean quick = false;
    for (String a : args) {
      quick |= a.equals("--quick");
    }
    Path benchDir = defaultBenchDir();
    Path out = benchDir.resolve("two-hop.json");
    int rounds = quick ? 1 : 3;
    long warmPass = quick ? 0 : 2000;
    long warmup = quick ? 40 : 200;
    long measure = quick ? 100 : 1200;
    int startupRuns = quick ? 1 : 3;
    boolean jmh = true;
    Path pluginJava = Path.of(System.getProperty("java.home"));
    List<Integer> payloads = List.of(64, 4096, 262144);
    List<Integer> inFlights = List.of(1, 64);
    List<Scenario> scenarios = Scenario.MAIN;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick":
          break;
        case "--out":
          out = Path.of(value(args, ++i, "--out"));
          break;
        case "--rounds":
          rounds = positive(args, ++i, "--rounds");
          break;
        case "--measure-ms":
          measure = positive(args, ++i, "--measure-ms");
          break;
        case "--warmup-ms":
          warmup = positive(args, ++i, "--warmup-ms");
          break;
        case "--startup-runs":
          startupRuns = Integer.parseInt(value(args, ++i, "--startup-runs"));
          break;
        case "--payloads":
          payloads = list(value(args, ++i, "--payloads"));
          break;
        case "--in-flight":
          inFlights = list(value(args, ++i, "--in-flight"));
          break;
        case "--levers":
          scenarios = List.of(Scenario.values());
          break;
        case "--plugin-java":
          pluginJava = Path.of(value(args, ++i, "--plugin-java")).toAbsolutePath();
          if (!Files.isExecutable(pluginJava.resolve("bin").resolve("java"))) {
            throw new IllegalArgumentException(
                "--plugin-java: " + pluginJava + "/bin/java is not an executable; give a JDK's JAVA_HOME");
          }
          break;
        case "--no-jmh":
          jmh = false;
          break;
        case "-h":
        case "--help":
          System.out.println(USAGE);
          System.exit(0);
          break;
        default:
          throw new IllegalArgumentException("unknown option '" + args[i] + "'\n" + USAGE);
      }
    }
    return new Settings(
        quick, benchDir, out, payloads, inFlights, scenarios, rounds, warmPass, warmup,
        measure, startupRuns, jmh, pluginJava);
  }

  /** dtac-benchmarks/target: from -Ddtac.bench.dir, else found from the working directory. */
  private static Path defaultBenchDir() {
    String configured = System.getProperty("dtac.bench.dir");
    if (configured != null) {
      return Path.of(configured).toAbsolutePath();
    }
    Path fromRoot = Path.of("dtac-benchmarks", "target");
    return (Files.isDirectory(fromRoot) ? fromRoot : Path.of("target")).toAbsolutePath();
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw new IllegalArgumentException(option + " needs a value\n" + USAGE);
    }
    return args[i];
  }

  private static List<Integer> list(String csv) {
    List<Integer> values = new java.util.ArrayList<>();
    for (String v : csv.split(",")) {
      int n = Integer.parseInt(v.trim());
      if (n <= 0) {
        throw new IllegalArgumentException("sizes and concurrencies must be positive, got " + n);
      }
      values.add(n);
    }
    return List.copyOf(values);
  }

  private static int positive(String[] args, int i, String option) {
    int v = Integer.parseInt(value(args, i, option));
    if (v <= 0) {
      throw new IllegalArgumentException(option + " must be positive, got " + v);
    }
    return v;
  }
}
