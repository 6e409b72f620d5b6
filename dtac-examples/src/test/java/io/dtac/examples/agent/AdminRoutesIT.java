package io.dtac.examples.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin routes against a real agent process with real hello and calculator plugin processes,
 * over real HTTPS with a token from {@code dtac token}: unload hello while the calculator keeps
 * calculating, load it back, reload the calculator into a new process, and the refusals (a path
 * instead of a file name, no token, no policy file). The last test stops the agent with SIGTERM
 * and checks that no plugin process, reloaded ones included, is left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminRoutesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SEED_BODY = "{\"operation\":\"add\",\"a\":5,\"b\":3}";
  private static final String SEED_ANSWER = "{\"result\":8,\"callee_plugin\":\"HelloPlugin\"}";

  @TempDir static Path tmp;
  private static AgentProcess agent;
  private static String base;
  private static String token;
  private static HttpClient client;
  /** Every plugin process seen during the run, so the last test can check that none outlives it. */
  private static final List<Long> pluginPids = new ArrayList<>();

  @BeforeAll
  static void startAgent() throws Exception {
    agent = AgentProcess.start(AgentProcess.java("agent", "--port", "0"), tmp.resolve("home"));
    base = "https://localhost:" + agent.awaitPort();
    token = agent.token();
    client = agent.client();
  }

  @AfterAll
  static void killLeftovers() {
    if (agent != null) {
      agent.close();
    }
    pluginPids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    // Loading and reloading wait for a JVM plugin's handshake (up to the 30 s handshake timeout).
    return client.send(request.timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder authorized(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token);
  }

  private static HttpRequest.Builder postJson(String path, String body) {
    return authorized(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private static JsonNode json(int status, HttpResponse<String> r) throws IOException {
    assertEquals(status, r.statusCode(), r.body() + "\n" + agent.diagnostics());
    return JSON.readTree(r.body());
  }

  private static void assertError(int status, String messagePart, HttpResponse<String> r) throws IOException {
    JsonNode body = json(status, r);
    assertEquals(status, body.get("status").asInt(), r.body());
    assertTrue(body.get("error").asText().contains(messagePart), r.body());
  }

  /** The admin view of the plugin {@code name}. */
  private static JsonNode adminView(String name) throws Exception {
    for (JsonNode p : json(200, send(authorized("/admin/plugins"))).get("plugins")) {
      if (p.get("name").asText().equals(name)) {
        return p;
      }
    }
    throw new AssertionError(name + " is not listed");
  }

  private static String calculateViaHello() throws Exception {
    HttpResponse<String> r = send(postJson("/plugins/calculator/calculate_via_hello", SEED_BODY));
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  @Test
  @Order(1)
  void adminListingShowsEachPluginsFileAndProcess() throws Exception {
    JsonNode hello = adminView("HelloPlugin");
    assertEquals("RUNNING", hello.get("state").asText());
    assertEquals("hello.plugin", hello.get("file").asText());
    assertTrue(ProcessHandle.of(hello.get("pid").asLong()).isPresent(), hello.toString());
    assertTrue(hello.get("failure").isNull());
    pluginPids.add(hello.get("pid").asLong());
    pluginPids.add(adminView("CalculatorPlugin").get("pid").asLong());
  }

  @Test
  @Order(2)
  void adminWithoutATokenIs401() throws Exception {
    assertError(401, "missing bearer token",
        send(HttpRequest.newBuilder(URI.create(base + "/admin/plugins"))));
    assertError(401, "missing bearer token", send(HttpRequest.newBuilder(URI.create(base + "/admin/plugins/HelloPlugin"))
        .DELETE()));
  }

  @Test
  @Order(3)
  void unloadingHelloStopsItsProcessAndTheCalculatorStillCalculates() throws Exception {
    long pid = adminView("HelloPlugin").get("pid").asLong();
    JsonNode stopped = json(200, send(authorized("/admin/plugins/HelloPlugin").DELETE()));
    assertEquals("STOPPED", stopped.get("state").asText());
    await().atMost(Duration.ofSeconds(20)).until(() -> ProcessHandle.of(pid).isEmpty()
        || !ProcessHandle.of(pid).get().isAlive());

    assertEquals(SEED_ANSWER, calculateViaHello());
    for (JsonNode p : json(200, send(authorized("/plugins"))).get("plugins")) {
      assertFalse(p.get("name").asText().equals("HelloPlugin") && p.get("state").asText().equals("RUNNING"),
          "HelloPlugin is still listed as RUNNING: " + p);
    }
    assertError(404, "no plugin at /plugins/hello", send(authorized("/plugins/hello/hello")));
    assertError(404, "no plugin named 'HelloPlugin'", send(authorized("/admin/plugins/HelloPlugin").DELETE()));
  }

  @Test
  @Order(4)
  void loadingHelloAgainMakesItAnswer() throws Exception {
    HttpResponse<String> r = send(postJson("/admin/plugins", "{\"file\": \"hello.plugin\"}"));
    JsonNode loaded = json(201, r);
    assertEquals("HelloPlugin", loaded.get("name").asText());
    assertEquals("RUNNING", loaded.get("state").asText());
    assertEquals("/admin/plugins/HelloPlugin", r.headers().firstValue("Location").orElseThrow());
    pluginPids.add(loaded.get("pid").asLong());

    HttpResponse<String> hello = send(authorized("/plugins/hello/hello"));
    assertEquals(200, hello.statusCode(), hello.body());
    assertEquals("{\"message\":\"Hello from HelloPlugin\"}", hello.body());
    assertError(409, "hello.plugin is already loaded as plugin 'HelloPlugin'",
        send(postJson("/admin/plugins", "{\"file\": \"hello.plugin\"}")));
  }

  @Test
  @Order(5)
  void reloadingTheCalculatorRunsItInANewProcess() throws Exception {
    long before = adminView("CalculatorPlugin").get("pid").asLong();
    JsonNode reloaded = json(200, send(authorized("/admin/plugins/CalculatorPlugin/reload")
        .POST(HttpRequest.BodyPublishers.noBody())));
    assertEquals("RUNNING", reloaded.get("state").asText());
    long after = reloaded.get("pid").asLong();
    pluginPids.add(after);
    assertNotEquals(before, after);
    assertEquals(SEED_ANSWER, calculateViaHello());
  }

  @Test
  @Order(6)
  void aPathInsteadOfAPluginFileNameIs400AndRunsNothing() throws Exception {
    int plugins = agent.children().size();
    assertError(400, "'../x.plugin' contains a path separator",
        send(postJson("/admin/plugins", "{\"file\":\"../x.plugin\"}")));
    Path hello = Path.of(System.getProperty("dtac.plugins.dir", "target/plugins"), "hello.plugin")
        .toAbsolutePath();
    assertError(400, "must be a bare file name in the plugin directory",
        send(postJson("/admin/plugins", JSON.createObjectNode().put("file", hello.toString()).toString())));
    assertEquals(plugins, agent.children().size());
  }

  @Test
  @Order(7)
  void policyReloadWithoutAPolicyFileIs409() throws Exception {
    assertError(409, "the agent has no access policy file to reload",
        send(authorized("/admin/policy/reload").POST(HttpRequest.BodyPublishers.noBody())));
  }

  @Test
  @Order(100)
  void sigtermLeavesNoPluginProcessReloadedOnesIncluded() throws Exception {
    assertEquals(143, agent.terminate(), agent.diagnostics());
    String out = agent.output();
    assertTrue(out.contains("plugin HelloPlugin: RUNNING -> STOPPED"), out);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (long pid : pluginPids) {
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
            "plugin process " + pid + " outlived its agent");
      }
    });
  }
}
