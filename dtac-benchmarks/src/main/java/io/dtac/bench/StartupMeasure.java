package io.dtac.bench;

import io.dtac.core.Protocol;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Times the example agent ({@code ./dtac agent}: broker, HTTPS gateway, hello and calculator
 * plugins) from process start to ready: the wall clock from just before this JVM forks it until
 * it prints that it listens, after "2 plugin(s) loaded, 0 failed". In a full run one untimed start
 * first makes its state directory (certificate, token secret), as a user's first start does; the
 * quick run skips it and the CDS variant.
 *
 * <p>Variants: {@code default}, the JVM options {@code ./dtac} and the plugin files use; {@code
 * cds}, the same plus class-data-sharing archives for the agent and the plugins, made here by a
 * training start ({@code -XX:ArchiveClassesAtExit}).
 */
final class StartupMeasure {
  /** {@code ./dtac}'s default JVM options (DTAC_JAVA_OPTS replaces them). */
  private static final List<String> AGENT_OPTS =
      List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto");
  /**
   * The example plugin files' default JVM options, dtac-maven-plugin's default (DTAC_PLUGIN_JAVA_OPTS
   * replaces them; it is set here so that the CDS variant can add to them).
   */
  private static final String PLUGIN_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -Xms8m -Xshare:auto";

  private StartupMeasure() {}

  /** Start-up times in milliseconds, by variant. */
  static Map<String, List<Double>> run(Path benchDir, int runs, boolean cds)
      throws IOException, InterruptedException {
    Path work = Files.createDirectories(benchDir.resolve("startup"));
    Path home = work.resolve("home");
    Path plugins = benchDir.resolve("example-plugins");
    Map<String, List<Double>> times = new LinkedHashMap<>();
    if (cds) {
      once(benchDir, home, plugins, AGENT_OPTS, PLUGIN_OPTS);
    }
    times.put("default", repeat(runs, () -> once(benchDir, home, plugins, AGENT_OPTS, PLUGIN_OPTS)));
    if (!cds) {
      return times;
    }

    Path agentArchive = work.resolve("agent.jsa");
    Path pluginArchive = work.resolve("plugin.jsa");
    Files.deleteIfExists(agentArchive);
    Files.deleteIfExists(pluginArchive);
    // Two processes must not write one archive: the agent's training start runs both plugins, the
    // plugins' training start only hello. A plugin file is its own classpath, and an archive serves
    // only the path it was made with: the timed starts run hello from where it was trained, next to
    // a copy of the calculator, which finds the archive does not match and runs without it.
    once(benchDir, home, plugins, with(AGENT_OPTS, "-XX:ArchiveClassesAtExit=" + agentArchive), PLUGIN_OPTS);
    Path cdsPlugins = helloOnly(benchDir, work);
    once(benchDir, home, cdsPlugins, AGENT_OPTS, PLUGIN_OPTS + " -XX:ArchiveClassesAtExit=" + pluginArchive);
    Files.copy(plugins.resolve("calculator.plugin"), cdsPlugins.resolve("calculator.plugin"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    List<String> agentCds = with(AGENT_OPTS, "-XX:SharedArchiveFile=" + agentArchive);
    String pluginCds = PLUGIN_OPTS + " -XX:SharedArchiveFile=" + pluginArchive;
    times.put("cds", repeat(runs, () -> once(benchDir, home, cdsPlugins, agentCds, pluginCds)));
    return times;
  }

  private interface Run {
    double time() throws IOException, InterruptedException;
  }

  private static List<Double> repeat(int runs, Run run) throws IOException, InterruptedException {
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      times.add(run.time());
    }
    return times;
  }

  private static List<String> with(List<String> opts, String extra) {
    List<String> all = new ArrayList<>(opts);
    all.add(extra);
    return all;
  }

  /** A plugin directory with hello.plugin only (the file holds all of its code). */
  private static Path helloOnly(Path benchDir, Path work) throws IOException {
    Path dir = Files.createDirectories(work.resolve("training").resolve("plugins"));
    Files.deleteIfExists(dir.resolve("calculator.plugin"));
    Files.copy(benchDir.resolve("example-plugins").resolve("hello.plugin"), dir.resolve("hello.plugin"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    return dir;
  }

  private static double once(Path benchDir, Path home, Path plugins, List<String> agentOpts, String pluginOpts)
      throws IOException, InterruptedException {
    long expected;
    try (java.util.stream.Stream<Path> files = Files.list(plugins)) {
      expected = files.filter(f -> f.toString().endsWith(".plugin")).count();
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(agentOpts);
    command.addAll(List.of("-cp", benchDir.resolve("lib") + "/*", "io.dtac.examples.agent.ExampleAgent",
        "agent", "--port", "0", "--plugins", plugins.toString()));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("DTAC_HOME", home.toString());
    pb.environment().put(Protocol.ENV_PLUGIN_JAVA_OPTS, pluginOpts);
    pb.redirectErrorStream(true);
    long t0 = System.nanoTime();
    Process p = pb.start();
    // An agent that hangs must not hang the benchmark: kill it after a minute.
    CompletableFuture<Void> watchdog =
        CompletableFuture.runAsync(
            () -> {
              p.descendants().forEach(ProcessHandle::destroyForcibly);
              p.destroyForcibly();
            },
            CompletableFuture.delayedExecutor(60, TimeUnit.SECONDS));
    List<String> seen = new ArrayList<>();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        seen.add(line);
        if (line.startsWith("listening on ")) {
          long t1 = System.nanoTime();
          if (!seen.contains(expected + " plugin(s) loaded, 0 failed")) {
            throw new IllegalStateException("the example agent did not load all " + expected + " plugins: " + seen);
          }
          return (t1 - t0) / 1e6;
        }
      }
      throw new IllegalStateException("the example agent exited before it was ready: " + seen);
    } finally {
      watchdog.cancel(false);
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    }
  }
}
