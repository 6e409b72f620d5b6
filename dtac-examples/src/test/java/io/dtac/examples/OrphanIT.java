package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.internal.ProcessGroupGuard;
import io.dtac.examples.reliability.TestPlugin;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No orphans, also of plugins written without the stdin convention: after kill -9 of an agent (a
 * JVM of its own), every process it started is gone within 5 s, children included.
 */
class OrphanIT {
  @TempDir Path tmp;

  @Test
  void afterKill9OfTheAgentEveryProcessItStartedIsGoneWithinFiveSeconds() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp, "hello.plugin");
    // Like a plugin of the seed's time: nothing watches stdin. The shell forks a child that
    // ignores SIGHUP and SIGTERM, then runs a Java plugin whose stdin is /dev/null and which is
    // not told to watch it; its parent, the shell, lives on when the agent dies.
    ExamplePlugins.script(plugins, "legacy.plugin", String.join("\n",
        "(trap '' HUP TERM; sleep 600) &",
        "DTAC_WATCH_STDIN=false " + Fixtures.javaCommand(TestPlugin.class.getName(), "Legacy") + " </dev/null",
        "wait"));
    Map<String, Long> pids = killAgentAndAwaitNoOrphans(plugins, 2);
    assertTrue(pids.containsKey("Legacy"), pids.toString());
  }

  @Test
  void anUpstreamStylePluginThatIgnoresStdinIsGoneToo() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp, "hello.plugin");
    // The upstream broker feature's client, in Python: no stdin watch at all (skipped without Python's grpc).
    PythonPlugins.upstream(plugins, tmp.resolve("upstream-build"));
    Map<String, Long> pids = killAgentAndAwaitNoOrphans(plugins, 2);
    assertTrue(pids.containsKey("UpstreamPlugin"), pids.toString());
  }

  /**
   * Starts an agent JVM over {@code plugins}, waits for its {@code expected} plugins, kills it
   * with SIGKILL and asserts every process it started is gone within 5 s.
   *
   * @return the plugins' pids by name
   */
  private Map<String, Long> killAgentAndAwaitNoOrphans(Path plugins, int expected) throws Exception {
    ProcessBuilder launch =
        new ProcessBuilder("sh", "-c", "exec " + Fixtures.javaCommand(AgentMain.class.getName(), "'" + plugins + "'"))
            .redirectError(tmp.resolve("agent.log").toFile());
    // A killed agent cannot delete its Unix socket directory: let it make it in this test's directory.
    launch.environment().put("JAVA_TOOL_OPTIONS", "-Djava.io.tmpdir=" + tmp);
    Process agent = launch.start();
    List<ProcessHandle> started = List.of();
    try {
      Map<String, Long> pids = awaitReady(agent);
      assertEquals(expected, pids.size(), pids.toString());
      started = agent.descendants().collect(Collectors.toList());
      if (pids.containsKey("Legacy")) {
        ProcessHandle legacy = ProcessHandle.of(pids.get("Legacy")).orElseThrow();
        assertTrue(legacy.descendants().count() >= 2,
            "the legacy shell's sleeping child and its Java plugin: " + describe(legacy.descendants().toList()));
      }
      assertEquals(expected, started.stream().filter(OrphanIT::isGuard).count(), "a guard per plugin: " + describe(started));

      Fixtures.signal(agent.pid(), "KILL");
      assertTrue(agent.waitFor(10, TimeUnit.SECONDS));
      List<ProcessHandle> all = started;
      Awaitility.await("every process the agent started is gone").atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> all.stream().noneMatch(OrphanIT::running));
      return pids;
    } finally {
      agent.destroyForcibly();
      started.forEach(ProcessHandle::destroyForcibly);
    }
  }

  /**
   * Whether {@code h} still runs: a killed process whose parent is gone stays a zombie until the
   * system's init reaps it (some container inits take seconds, or never do); it runs nothing.
   */
  private static boolean running(ProcessHandle h) {
    try {
      String stat = Files.readString(Path.of("/proc/" + h.pid() + "/stat"));
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X' && h.isAlive();
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean isGuard(ProcessHandle h) {
    return h.info().commandLine().orElse("").contains(ProcessGroupGuard.NAME);
  }

  private static String describe(List<ProcessHandle> processes) {
    return processes.stream().map(h -> h.pid() + " " + h.info().commandLine().orElse("?"))
        .collect(Collectors.joining("; "));
  }

  /** Reads AgentMain's "PLUGIN name state pid" lines up to READY: each RUNNING plugin's pid. */
  private static Map<String, Long> awaitReady(Process agent) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Map<String, Long>> ready = CompletableFuture.supplyAsync(() -> {
      Map<String, Long> pids = new HashMap<>();
      try {
        for (String line; (line = out.readLine()) != null && !line.equals("READY"); ) {
          String[] f = line.split(" ");
          assertEquals("RUNNING", f[2], line);
          pids.put(f[1].equals("HelloPlugin") ? "Hello" : f[1], Long.parseLong(f[3]));
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return pids;
    });
    return ready.get(90, TimeUnit.SECONDS);
  }
}
