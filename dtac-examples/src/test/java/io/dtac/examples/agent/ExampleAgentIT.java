package io.dtac.examples.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's "Testing Plugin-to-Plugin Communication" as a user does it, with real processes:
 * two agents side by side (one from {@code ./dtac}, one from the same main class with a config
 * file), each with its own DTAC_HOME, port, certificate and token secret, each with real hello and
 * calculator plugin processes; tokens from {@code dtac token} processes; real HTTPS. The last test
 * stops both with SIGTERM and checks that no plugin process is left.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExampleAgentIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SEED_BODY = "{\"operation\":\"add\",\"a\":5,\"b\":3}";
  private static final String SEED_ANSWER = "{\"result\":8,\"callee_plugin\":\"HelloPlugin\"}";
  /** Whether the build made the Python example (it does where .ci/run installed protoc and python3-grpcio). */
  private static final boolean PYTHON =
      Files.isRegularFile(AgentProcess.lib().resolveSibling("plugins").resolve("wordcount.plugin"));
  private static final int PLUGINS = PYTHON ? 3 : 2;

  @TempDir static Path tmp;

  /** Started with java -cp target/lib/* and a --config file; most HTTP checks run against it. */
  private static AgentProcess agent;
  /** Started with ./dtac and no options but --port 0: the user's path, and the curl sequence. */
  private static AgentProcess dtac;
  private static String base;
  private static String token;
  private static HttpClient client;

  @BeforeAll
  static void startTwoAgents() throws Exception {
    Path config = Files.writeString(tmp.resolve("agent.json"),
        "{\"max_body_bytes\": 4096, \"plugins\": {\"hello\": {\"config\": {\"message\": \"Hello from the IT\"}}}}");
    agent = AgentProcess.start(
        AgentProcess.java("agent", "--port", "0", "--config", config.toString()), tmp.resolve("home-a"));
    dtac = AgentProcess.start(AgentProcess.dtac("agent", "--port", "0"), tmp.resolve("home-b"));
    base = "https://localhost:" + agent.awaitPort();
    dtac.awaitPort();
    token = agent.token();
    client = agent.client();
  }

  @AfterAll
  static void killLeftovers() {
    for (AgentProcess p : new AgentProcess[] {agent, dtac}) {
      if (p != null) {
        p.close();
      }
    }
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return client.send(request.timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder authorized(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token);
  }

  private static HttpRequest.Builder postJson(String path, String body) {
    return authorized(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
  }

  private static void assertError(int status, String messagePart, HttpResponse<String> r) throws IOException {
    assertEquals(status, r.statusCode(), r.body());
    JsonNode body = JSON.readTree(r.body());
    assertEquals(status, body.get("status").asInt(), r.body());
    assertTrue(body.get("error").asText().contains(messagePart), r.body());
  }

  @Test
  @Order(1)
  void startupSaysWhatLoadedWhereItListensAndHowToGetAToken() {
    String out = agent.output();
    assertTrue(out.contains("plugin HelloPlugin loaded from hello.plugin"), out);
    assertTrue(out.contains("plugin CalculatorPlugin loaded from calculator.plugin"), out);
    assertTrue(out.contains("POST /plugins/calculator/calculate_via_hello"), out);
    assertTrue(out.contains(PLUGINS + " plugin(s) loaded, 0 failed"), out);
    assertTrue(!PYTHON || out.contains("plugin WordCountPlugin loaded from wordcount.plugin"), out);
    assertTrue(out.contains("listening on " + base + " "), out);
    assertTrue(out.contains("get a token:  TOKEN=$(DTAC_HOME=" + agent.home() + " "), out);
  }

  @Test
  @Order(2)
  void calculateViaHelloAnswersTheSeedsExactJson() throws Exception {
    HttpResponse<String> r = send(postJson("/plugins/calculator/calculate_via_hello", SEED_BODY));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(SEED_ANSWER, r.body());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
    Path audit = agent.home().resolve("logs").resolve("audit.jsonl");
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
        Files.exists(audit) && Files.readString(audit).contains("\"caller\":\"CalculatorPlugin\""));
    assertTrue(Files.readString(audit).contains("\"target\":\"HelloPlugin\""),
        "the two-hop call is in the agent's audit trail");
  }

  @Test
  @Order(3)
  void theIssuesCurlSequenceWorksVerbatimAgainstDtac() throws Exception {
    assumeTrue(onPath("curl"), "curl is not installed (.ci/run installs it)");
    String script = String.join("\n",
        "TOKEN=$(./dtac token)",
        "curl -ks -X POST -H \"Authorization: Bearer $TOKEN\" -H \"Content-Type: application/json\" \\",
        "  -d '{\"operation\":\"add\",\"a\":5,\"b\":3}' https://localhost:$PORT/plugins/calculator/calculate_via_hello");
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", script)
        .directory(AgentProcess.repositoryRoot().toFile())
        .redirectErrorStream(true);
    pb.environment().put("DTAC_HOME", dtac.home().toString());
    pb.environment().put("PORT", Integer.toString(dtac.awaitPort()));
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    assertEquals(SEED_ANSWER, out);
  }

  @Test
  @Order(4)
  void pluginConfigFromTheConfigFileReachesThePlugin() throws Exception {
    HttpResponse<String> r = send(authorized("/plugins/hello/hello"));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("{\"message\":\"Hello from the IT\"}", r.body());
  }

  @Test
  @Order(5)
  void listingShowsBothPluginsRunningWithTheirEndpoints() throws Exception {
    HttpResponse<String> r = send(authorized("/plugins"));
    assertEquals(200, r.statusCode(), r.body());
    JsonNode plugins = JSON.readTree(r.body()).get("plugins");
    assertEquals(PYTHON ? List.of("CalculatorPlugin", "HelloPlugin", "WordCountPlugin")
        : List.of("CalculatorPlugin", "HelloPlugin"), field(plugins, "name"));
    assertEquals(java.util.Collections.nCopies(PLUGINS, "RUNNING"), field(plugins, "state"));
    assertEquals(PYTHON ? List.of("calculator", "hello", "wordcount") : List.of("calculator", "hello"),
        field(plugins, "root_path"));
    assertEquals(List.of("/plugins/calculator/calculate", "/plugins/calculator/calculate_via_hello",
            "/plugins/calculator/calculate_words"),
        field(plugins.get(0).get("endpoints"), "url"));
    assertEquals(List.of("POST", "POST", "POST"), field(plugins.get(0).get("endpoints"), "method"));
    assertEquals(List.of("/plugins/hello/hello"), field(plugins.get(1).get("endpoints"), "url"));
    assertEquals(List.of("GET"), field(plugins.get(1).get("endpoints"), "method"));
  }

  private static List<String> field(JsonNode array, String name) {
    return StreamSupport.stream(array.spliterator(), false)
        .map(n -> n.get(name).asText()).collect(Collectors.toList());
  }

  @Test
  @Order(6)
  void withoutATokenIs401() throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/plugins/calculator/calculate_via_hello"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(SEED_BODY)));
    assertError(401, "missing bearer token", r);
  }

  @Test
  @Order(7)
  void tokenOfTheOtherAgentIs401AndItsOwnWorks() throws Exception {
    assertNotEquals(agent.awaitPort(), dtac.awaitPort());
    String otherToken = dtac.token();
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/plugins"))
        .header("Authorization", "Bearer " + otherToken));
    assertError(401, "invalid bearer token", r);
    HttpClient otherClient = dtac.client();
    HttpResponse<String> own = otherClient.send(
        HttpRequest.newBuilder(URI.create("https://localhost:" + dtac.awaitPort() + "/plugins/hello/hello"))
            .header("Authorization", "Bearer " + otherToken).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, own.statusCode(), own.body());
    assertEquals("{\"message\":\"Hello from HelloPlugin\"}", own.body());
  }

  @Test
  @Order(8)
  void unknownPluginIs404() throws Exception {
    assertError(404, "no plugin at /plugins/calculater", send(authorized("/plugins/calculater/calculate")));
    assertError(404, "has no endpoint 'power'", send(postJson("/plugins/calculator/power", SEED_BODY)));
  }

  @Test
  @Order(9)
  void wrongMethodIs405() throws Exception {
    HttpResponse<String> r = send(authorized("/plugins/calculator/calculate_via_hello"));
    assertError(405, "method GET not allowed", r);
    assertEquals("POST", r.headers().firstValue("Allow").orElseThrow());
  }

  @Test
  @Order(10)
  void malformedJsonIs400() throws Exception {
    assertError(400, "malformed JSON body", send(postJson("/plugins/calculator/calculate_via_hello",
        "{\"operation\":\"add\",\"a\":5,")));
  }

  @Test
  @Order(11)
  void thePluginsOwnErrorComesThroughWithItsMessage() throws Exception {
    HttpResponse<String> r = send(postJson("/plugins/calculator/calculate",
        "{\"operation\":\"divide\",\"a\":1,\"b\":0}"));
    assertEquals("{\"error\":\"division by zero\",\"status\":400}", r.body());
  }

  @Test
  @Order(12)
  void bodyOverTheConfiguredLimitIs413AndTheAgentKeepsServing() throws Exception {
    String big = "{\"operation\":\"add\",\"a\":5,\"b\":3,\"pad\":\"" + "x".repeat(5000) + "\"}";
    assertError(413, "larger than the limit of 4096 bytes",
        send(postJson("/plugins/calculator/calculate_via_hello", big)));
    assertEquals(SEED_ANSWER, send(postJson("/plugins/calculator/calculate_via_hello", SEED_BODY)).body());
  }

  @Test
  @Order(13)
  void thePythonPluginServesRestCallsCallsHelloAndIsCalledByTheCalculator() throws Exception {
    assumeTrue(PYTHON, "wordcount.plugin was not built: protoc or python3-grpcio is missing (.ci/run installs them)");
    HttpResponse<String> r = send(postJson("/plugins/wordcount/count", "{\"text\": \"one two  three\"}"));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("{\"words\": 3, \"greeting\": \"Hello from the IT\", \"greeting_error\": null}", r.body(),
        "hello's configured message came back through the broker");
    HttpResponse<String> calc = send(postJson("/plugins/calculator/calculate_words",
        "{\"text\": \"one two three\", \"operation\": \"multiply\", \"b\": 2}"));
    assertEquals(200, calc.statusCode(), calc.body());
    assertEquals("{\"result\":6,\"words\":3,\"callee_plugin\":\"WordCountPlugin\"}", calc.body());
    assertError(400, "field 'text' must be a string", send(postJson("/plugins/wordcount/count", "{\"text\": 5}")));
    Path audit = agent.home().resolve("logs").resolve("audit.jsonl");
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      String a = Files.readString(audit);
      return a.contains("\"caller\":\"WordCountPlugin\",\"target\":\"HelloPlugin\"")
          && a.contains("\"caller\":\"CalculatorPlugin\",\"target\":\"WordCountPlugin\"");
    });
  }

  @Test
  @Order(50)
  void noPluginOfARealAgentFindsItsDtacHomeOrASecretInItsEnvironment() throws Exception {
    // What a same-user plugin could read of each plugin process, itself included.
    for (AgentProcess p : new AgentProcess[] {agent, dtac}) {
      List<ProcessHandle> plugins = p.children();
      assertEquals(PLUGINS, plugins.size(), plugins.toString());
      for (ProcessHandle h : plugins) {
        String environ = Files.readString(Path.of("/proc/" + h.pid() + "/environ"));
        for (String forbidden : List.of("DTAC_HOME=", "DTAC_BROKER_CREDENTIAL=", "DTAC_TLS_KEY=")) {
          assertFalse(("\0" + environ).contains("\0" + forbidden), forbidden + " in plugin " + h.pid());
        }
        assertFalse(environ.contains(p.home().toString()), "the agent's home shows in plugin " + h.pid());
        assertTrue(("\0" + environ).contains("\0DTAC_AGENT_PID="), "plugin " + h.pid() + " knows its agent");
      }
    }
  }

  @Test
  @Order(51)
  void theExamplePluginsPrintNoLoggingWarning() throws Exception {
    // Each plugin's stderr is in the agent's log under dtac.plugin.NAME (see README, Logging).
    for (AgentProcess p : new AgentProcess[] {agent, dtac}) {
      String log = Files.readString(p.home().resolve("logs").resolve("agent.log"));
      assertFalse(log.contains("SLF4J"), "an SLF4J warning in " + p.home() + "/logs/agent.log:\n" + log);
    }
  }

  @Test
  @Order(100)
  void sigtermStopsEachAgentAndEveryPluginProcess() throws Exception {
    List<ProcessHandle> plugins = new ArrayList<>();
    for (AgentProcess p : new AgentProcess[] {agent, dtac}) {
      List<ProcessHandle> children = p.children();
      assertEquals(PLUGINS, children.size(), "plugin processes of " + p.home() + ": " + children);
      plugins.addAll(children);
    }
    for (AgentProcess p : new AgentProcess[] {agent, dtac}) {
      assertEquals(143, p.terminate(), p.diagnostics());
      assertTrue(p.output().endsWith("dtac agent stopped"), p.diagnostics());
      assertTrue(p.output().contains("plugin HelloPlugin: RUNNING -> STOPPED"), p.diagnostics());
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      for (ProcessHandle h : plugins) {
        assertFalse(h.isAlive(), "plugin process " + h.pid() + " outlived its agent");
      }
    });
  }

  private static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }
}
