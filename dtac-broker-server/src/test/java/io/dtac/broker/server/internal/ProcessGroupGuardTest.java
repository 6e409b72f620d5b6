package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real processes: a plugin's process group, and its guard killing it. */
class ProcessGroupGuardTest {
  private Process plugin;
  private long child;

  @BeforeEach
  void requireGuards() {
    assumeTrue(ProcessGroupGuard.available(), "setsid and /bin/sh (Linux)");
  }

  @AfterEach
  void cleanUp() {
    if (plugin != null) {
      plugin.destroyForcibly();
    }
    if (child > 0) {
      ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  /** Starts {@code script} as a plugin would be started; it prints its own pid, then its child's. */
  private ProcessGroupGuard start(String script) throws Exception {
    plugin = new ProcessBuilder(ProcessGroupGuard.command(List.of("/bin/sh", "-c", script))).start();
    ProcessGroupGuard guard = ProcessGroupGuard.watch(plugin);
    BufferedReader out = new BufferedReader(new InputStreamReader(plugin.getInputStream(), StandardCharsets.UTF_8));
    assertEquals(Long.toString(plugin.pid()), out.readLine(), "setsid execs: the plugin keeps the pid the agent launched");
    child = Long.parseLong(out.readLine());
    return guard;
  }

  private static long processGroup(long pid) throws Exception {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[2]);
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  @Test
  void aPluginLeadsItsOwnProcessGroupAndClosingItsGuardKillsTheWholeGroup() throws Exception {
    ProcessGroupGuard guard = start("sleep 600 & echo $$; echo $!; exec sleep 600");
    assertEquals(plugin.pid(), processGroup(plugin.pid()));
    assertEquals(plugin.pid(), processGroup(child), "what it forks is in its group");

    guard.close(Duration.ofSeconds(5));
    Awaitility.await("the plugin and its child are killed").atMost(Duration.ofSeconds(5))
        .until(() -> !plugin.isAlive() && !alive(child));
    assertEquals(137, plugin.waitFor());
  }

  @Test
  void whatIsLeftOfAPluginThatEndsIsKilledWithIt() throws Exception {
    start("sleep 600 & echo $$; echo $!; read -r _; exit 3");
    assertTrue(alive(child));
    plugin.getOutputStream().close();
    assertEquals(3, plugin.waitFor());
    Awaitility.await("the child the plugin left behind is killed").atMost(Duration.ofSeconds(5))
        .until(() -> !alive(child));
  }
}
