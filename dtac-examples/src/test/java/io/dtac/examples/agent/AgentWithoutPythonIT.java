package io.dtac.examples.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example agent on a machine without Python: its plugin directory holds wordcount.plugin, but
 * no python3 is on the PATH its plugins get (JAVA_HOME still names the JVM for the Java plugins).
 * It starts, serves the Java plugins, and says in one line why the Python plugin is not running.
 */
class AgentWithoutPythonIT {
  @TempDir Path tmp;

  @Test
  void theAgentStartsWithoutThePythonPluginAndSaysWhy() throws Exception {
    Path plugins = AgentProcess.lib().resolveSibling("plugins");
    assumeTrue(Files.isRegularFile(plugins.resolve("wordcount.plugin")),
        "wordcount.plugin was not built (.ci/run installs protoc and python3-grpcio)");
    Path emptyPath = Files.createDirectories(tmp.resolve("no-python"));
    try (AgentProcess agent = AgentProcess.start(AgentProcess.java("agent", "--port", "0"), tmp.resolve("home"),
        Map.of("PATH", emptyPath.toString(), "JAVA_HOME", System.getProperty("java.home")))) {
      int port = agent.awaitPort();
      String out = agent.output();
      assertTrue(out.contains("plugin wordcount.plugin FAILED: handshake failed: wordcount.plugin exited with code 3"
          + " before printing its handshake line"), agent.diagnostics());
      assertTrue(out.contains("needs python3 with the grpc and protobuf modules, and no python3 on PATH has them"
          + " (Debian: apt-get install python3-grpcio python3-protobuf)"), agent.diagnostics());
      assertTrue(out.contains("2 plugin(s) loaded, 1 failed"), agent.diagnostics());
      HttpResponse<String> hello = agent.client().send(
          HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/plugins/hello/hello"))
              .header("Authorization", "Bearer " + agent.token()).timeout(Duration.ofSeconds(30)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, hello.statusCode(), hello.body());
      List<ProcessHandle> children = agent.children();
      assertEquals(143, agent.terminate(), agent.diagnostics());
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          children.forEach(h -> assertFalse(h.isAlive(), "plugin process " + h.pid() + " outlived its agent")));
    }
  }
}
