package io.dtac.examples;

import static io.dtac.examples.Fixtures.alive;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An agent killed with SIGKILL leaves no plugin behind: each notices and exits by itself. */
class AgentKillIT {
  @TempDir Path tmp;

  @Test
  void everyPluginExitsByItselfWhenTheAgentIsKilled() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp, "hello.plugin", "calculator.plugin");
    ProcessBuilder launch =
        new ProcessBuilder("sh", "-c", "exec " + Fixtures.javaCommand(AgentMain.class.getName(), "'" + plugins + "'"))
            .redirectError(tmp.resolve("agent.log").toFile());
    // A killed agent cannot delete its Unix socket directory: let it make it in this test's directory.
    launch.environment().put("JAVA_TOOL_OPTIONS", "-Djava.io.tmpdir=" + tmp);
    Process agent = launch.start();
    List<Long> pids = new ArrayList<>();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8));
      CompletableFuture<List<String>> ready = CompletableFuture.supplyAsync(() -> {
        List<String> lines = new ArrayList<>();
        try {
          for (String line; (line = out.readLine()) != null && !line.equals("READY"); ) {
            lines.add(line);
          }
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
        return lines;
      });
      for (String line : ready.get(90, TimeUnit.SECONDS)) {
        String[] f = line.split(" ");
        assertEquals("RUNNING", f[2], line);
        pids.add(Long.parseLong(f[3]));
      }
      assertEquals(2, pids.size());
      pids.forEach(pid -> assertTrue(alive(pid)));

      Fixtures.signal(agent.pid(), "KILL");
      assertTrue(agent.waitFor(10, TimeUnit.SECONDS));
      assertEquals(137, agent.exitValue());
      Awaitility.await("every plugin exits by itself").atMost(Duration.ofSeconds(10))
          .until(() -> pids.stream().noneMatch(Fixtures::alive));
    } finally {
      agent.destroyForcibly();
      pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }
  }
}
