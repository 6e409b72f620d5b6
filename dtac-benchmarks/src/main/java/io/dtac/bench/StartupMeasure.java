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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Times the example agent ({@code ./dtac agent}: broker, HTTPS gateway, its plugins) from process
 * start to ready: the wall clock from just before this JVM forks it until it prints that it
 * listens, after "N plugin(s) loaded, 0 failed". In a full run one untimed start first makes its
 * state directory (certificate, token secret), as a user's first start does; the quick run skips
 * it and the CDS variant.
 *
 * <p>Variants, interleaved run by run: {@code default}, the example agent with hello and
 * calculator as {@code ./dtac agent} first runs it (its JVM options, no agent archive yet; the
 * plugin files' own default options and class-data archives); {@code ten_plugins}, the same agent
 * with ten copies of hello ({@link ExamplePlugins#helloCopies}, without archives: see {@link
 * RenamedPluginFile}) and nothing else; then {@code cds}, the two-plugin agent with its own
 * class-data archive, made here by a training start ({@code -XX:ArchiveClassesAtExit}), as {@code
 * ./dtac} runs it from its second start. In {@code default} and {@code ten_plugins}, once ready, every plugin
 * gets {@value #CALLS} calls through the gateway, and then, once the tree is idle, the resident
 * memory of the agent and of each of its processes is read ({@link ProcessTreeMemory}).
 *
 * <p>The agent and (through JAVA_HOME, which the broker passes on) its plugins run on the JDK
 * given, by default the benchmark's own.
 */
final class StartupMeasure {
  /** {@code ./dtac}'s default JVM options (DTAC_JAVA_OPTS replaces them): keep the two the same. */
  private static final List<String> AGENT_OPTS =
      List.of("-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:ReservedCodeCacheSize=32m", "-XX:+UseSerialGC",
          "-Xss512k", "-Xms16m", "-Xmx256m", "-XX:-UsePerfData", "-Xshare:auto",
          "-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=1",
          "-Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=1");
  /** Calls per plugin before memory is read. */
  static final int CALLS = 5;
  /** The longest wait for the tree's memory to settle. */
  private static final long IDLE_MAX_MILLIS = 5000;

  private static final Pattern LOADED = Pattern.compile("^plugin (\\S+) loaded from \\S+ \\(pid (\\d+)\\)");
  private static final Pattern LISTENING = Pattern.compile("^listening on https://localhost:(\\d+)");

  /**
   * One start of the agent.
   *
   * @param readyMillis from fork to "listening on"
   * @param memory the idle tree's resident memory after the calls, or null where not measured
   * @param jvms the JDK of the agent ({@code agent}) and of each plugin, by plugin name
   */
  record Start(double readyMillis, ProcessTreeMemory.Reading memory, Map<String, Map<String, String>> jvms) {}

  private final Path benchDir;
  private final Path javaHome;
  private final Path home;
  private GatewayClient gateway;

  private StartupMeasure(Path benchDir, Path javaHome, Path home) {
    this.benchDir = benchDir;
    this.javaHome = javaHome;
    this.home = home;
  }

  /** The starts, by variant ({@code default}, {@code ten_plugins}, {@code cds}). */
  static Map<String, List<Start>> run(Path benchDir, int runs, boolean full, Path javaHome)
      throws IOException, InterruptedException {
    Path work = Files.createDirectories(benchDir.resolve("startup"));
    StartupMeasure m = new StartupMeasure(benchDir, javaHome, work.resolve("home"));
    Path plugins = ExamplePlugins.dir(benchDir);
    ExamplePlugins.Copies ten = ExamplePlugins.helloCopies(benchDir, work);
    List<String> twoCalls = List.of(ExamplePlugins.HELLO_CALL, ExamplePlugins.CALCULATOR_CALL);
    List<String> tenCalls = ten.rootPaths().stream().map(r -> "GET /plugins/" + r + "/hello").toList();
    Map<String, List<Start>> starts = new LinkedHashMap<>();
    starts.put("default", new ArrayList<>());
    starts.put("ten_plugins", new ArrayList<>());
    if (full) {
      m.once(plugins, null, AGENT_OPTS, null, List.of());
    }
    for (int i = 0; i < runs; i++) {
      starts.get("default").add(m.once(plugins, null, AGENT_OPTS, null, twoCalls));
      starts.get("ten_plugins").add(m.once(ten.dir(), ten.agentConfig(), AGENT_OPTS, null, tenCalls));
    }
    if (full) {
      starts.put("cds", m.cds(work, plugins, runs));
    }
    return starts;
  }

  /**
   * The agent with its own class-data archive, as {@code ./dtac} runs it from its second start (the
   * first start writes the archive when it stops); the plugins use the archives inside their files,
   * as in {@code default}.
   */
  private List<Start> cds(Path work, Path plugins, int runs) throws IOException, InterruptedException {
    Path agentArchive = work.resolve("agent.jsa");
    Files.deleteIfExists(agentArchive);
    once(plugins, null, with(AGENT_OPTS, "-XX:ArchiveClassesAtExit=" + agentArchive), null, List.of());
    List<String> agentCds = with(AGENT_OPTS, "-XX:SharedArchiveFile=" + agentArchive);
    List<Start> starts = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      starts.add(once(plugins, null, agentCds, null, List.of()));
    }
    return starts;
  }

  private static List<String> with(List<String> opts, String extra) {
    List<String> all = new ArrayList<>(opts);
    all.add(extra);
    return all;
  }

  /**
   * Starts the agent over {@code plugins} and times it until ready; then, if {@code calls} is not
   * empty, makes each {@link #CALLS} times and reads the idle tree's memory; then stops it.
   *
   * @param config the agent's {@code --config} file, or null
   * @param pluginOpts DTAC_PLUGIN_JAVA_OPTS, or null for the plugin files' own defaults
   */
  private Start once(Path plugins, Path config, List<String> agentOpts, String pluginOpts, List<String> calls)
      throws IOException, InterruptedException {
    long expected;
    try (java.util.stream.Stream<Path> files = Files.list(plugins)) {
      expected = files.filter(f -> f.toString().endsWith(".plugin")).count();
    }
    List<String> command = new ArrayList<>();
    command.add(javaHome.resolve("bin").resolve("java").toString());
    command.addAll(agentOpts);
    command.addAll(List.of("-cp", ExamplePlugins.agentClasspath(benchDir), "io.dtac.examples.agent.ExampleAgent",
        "agent", "--port", "0", "--plugins", plugins.toString()));
    if (config != null) {
      command.addAll(List.of("--config", config.toString()));
    }
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("DTAC_HOME", home.toString());
    pb.environment().put("JAVA_HOME", javaHome.toString());
    if (pluginOpts == null) {
      pb.environment().remove(Protocol.ENV_PLUGIN_JAVA_OPTS);
    } else {
      pb.environment().put(Protocol.ENV_PLUGIN_JAVA_OPTS, pluginOpts);
    }
    pb.redirectErrorStream(true);
    long t0 = System.nanoTime();
    Process p = pb.start();
    // An agent that hangs must not hang the benchmark: kill it after two minutes.
    CompletableFuture<Void> watchdog =
        CompletableFuture.runAsync(
            () -> {
              p.descendants().forEach(ProcessHandle::destroyForcibly);
              p.destroyForcibly();
            },
            CompletableFuture.delayedExecutor(120, TimeUnit.SECONDS));
    List<String> seen = new ArrayList<>();
    Map<String, Long> pids = new LinkedHashMap<>();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        seen.add(line);
        Matcher loaded = LOADED.matcher(line);
        if (loaded.find()) {
          pids.put(loaded.group(1), Long.parseLong(loaded.group(2)));
        }
        Matcher listening = LISTENING.matcher(line);
        if (listening.find()) {
          double ready = (System.nanoTime() - t0) / 1e6;
          if (!seen.contains(expected + " plugin(s) loaded, 0 failed")) {
            throw new IllegalStateException("the example agent did not load all " + expected + " plugins: " + seen);
          }
          Map<String, Map<String, String>> jvms = new LinkedHashMap<>();
          jvms.put("agent", JvmInfo.of(p.pid()));
          pids.forEach((name, pid) -> jvms.put(name, JvmInfo.of(pid)));
          if (calls.isEmpty()) {
            return new Start(ready, null, jvms);
          }
          int port = Integer.parseInt(listening.group(1));
          if (gateway == null) {
            gateway = GatewayClient.forHome(benchDir, home);
          }
          for (String call : calls) {
            gateway.call(port, call, CALLS);
          }
          return new Start(ready, ProcessTreeMemory.readIdle(p.toHandle(), pids, IDLE_MAX_MILLIS), jvms);
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
