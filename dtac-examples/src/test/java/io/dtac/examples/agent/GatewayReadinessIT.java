package io.dtac.examples.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start-up readiness of a real agent process: while a plugin is still loading (held by the test
 * until it says go), the gateway already listens but answers every request 503 "the agent is
 * starting" with Retry-After, never 404 for the plugin it is loading, and GET /health says it is
 * live and not ready; "listening on" is printed only once the plugins are loaded, and from then on
 * the plugins answer and /health says ready.
 */
class GatewayReadinessIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern GATEWAY_LOG_LINE = Pattern.compile("REST gateway listening on https://[^:]+:(\\d+)");

  @TempDir Path tmp;
  private AgentProcess agent;

  @AfterEach
  void stop() {
    if (agent != null) {
      agent.close();
    }
  }

  @Test
  void untilItsPluginsAreLoadedTheAgentAnswers503StartingAndPrintsNoListeningLine() throws Exception {
    Path plugins = Files.createDirectories(tmp.resolve("plugins"));
    Files.copy(AgentProcess.lib().resolveSibling("plugins").resolve("hello.plugin"), plugins.resolve("hello.plugin"),
        StandardCopyOption.COPY_ATTRIBUTES);
    Path go = tmp.resolve("go");
    // A plugin that loads until the test creates the go file, then fails its handshake.
    Path gate = Files.writeString(plugins.resolve("gate.plugin"),
        "#!/bin/sh\nwhile [ ! -e '" + go + "' ]; do sleep 0.1; done\nexit 3\n");
    Files.setPosixFilePermissions(gate, PosixFilePermissions.fromString("rwxr-xr-x"));

    agent = AgentProcess.start(AgentProcess.java("agent", "--port", "0", "--plugins", plugins.toString()),
        tmp.resolve("home"));
    Path log = agent.home().resolve("logs").resolve("agent.log");
    AtomicInteger port = new AtomicInteger();
    await().atMost(AgentProcess.STARTUP).until(() -> {
      Matcher m = GATEWAY_LOG_LINE.matcher(Files.exists(log) ? Files.readString(log) : "");
      if (m.find()) {
        port.set(Integer.parseInt(m.group(1)));
      }
      return port.get() > 0;
    });
    String token = agent.token();
    HttpClient client = agent.client();
    String base = "https://localhost:" + port.get();

    for (String path : new String[] {"/plugins/hello/hello", "/plugins/gate/x", "/plugins", "/admin/plugins"}) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + path))
          .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(503, r.statusCode(), path + ": " + r.body());
      assertEquals("1", r.headers().firstValue("Retry-After").orElse("none"), path);
      JsonNode body = JSON.readTree(r.body());
      assertEquals(503, body.get("status").asInt());
      assertTrue(body.get("error").asText().startsWith("the agent is starting"), r.body());
    }
    HttpResponse<String> starting = client.send(HttpRequest.newBuilder(URI.create(base + "/health"))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(503, starting.statusCode(), starting.body());
    JsonNode health = JSON.readTree(starting.body());
    assertTrue(health.get("live").asBoolean());
    assertFalse(health.get("ready").asBoolean());
    assertEquals("starting", health.get("state").asText());
    assertFalse(agent.output().contains("listening on"), agent.output());

    Files.writeString(go, "");
    assertEquals(port.get(), agent.awaitPort());
    assertTrue(agent.output().contains("plugin gate.plugin FAILED"), agent.output());
    HttpResponse<String> hello = client.send(HttpRequest.newBuilder(URI.create(base + "/plugins/hello/hello"))
        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, hello.statusCode(), hello.body());
    HttpResponse<String> ready = client.send(HttpRequest.newBuilder(URI.create(base + "/health"))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ready.statusCode(), ready.body());
    assertEquals(JSON.readTree("{\"live\":true,\"ready\":true,\"state\":\"ready\"}"), JSON.readTree(ready.body()));
    assertEquals(143, agent.terminate(), agent.diagnostics());
  }
}
