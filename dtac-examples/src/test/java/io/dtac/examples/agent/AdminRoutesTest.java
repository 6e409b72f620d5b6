package io.dtac.examples.agent;

import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.core.Response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The admin routes over real HTTPS, in front of a scripted backend that records what the gateway
 * asks of the broker: every route, every refusal, and that a refused request never reaches the
 * broker. The real broker behind these routes is pinned by AdminRoutesIT.
 */
class AdminRoutesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final BearerTokens TOKENS = new BearerTokens(new byte[32], Clock.systemUTC());
  private static final String TOKEN = TOKENS.issue(Duration.ofHours(1));

  @TempDir static Path tmp;
  private static Path pluginDir;
  private static final ScriptedBackend backend = new ScriptedBackend();
  private static RestGateway gateway;
  private static HttpClient client;
  private static String base;

  /** Answers what each test scripts and records every admin operation it is asked for. */
  static final class ScriptedBackend implements GatewayBackend {
    volatile List<PluginInfo> plugins;
    volatile Function<Path, PluginInfo> load;
    volatile Function<String, Optional<PluginInfo>> unload;
    volatile Function<String, Optional<PluginInfo>> reload;
    volatile Optional<Path> policyFile;
    volatile Supplier<AccessPolicy> policy;
    final List<String> operations = new CopyOnWriteArrayList<>();

    void reset() {
      plugins = List.of(hello(PluginState.RUNNING, 101, null));
      load = file -> {
        throw new AssertionError("unexpected load of " + file);
      };
      unload = name -> Optional.empty();
      reload = name -> Optional.empty();
      policyFile = Optional.empty();
      policy = () -> {
        throw new AssertionError("unexpected policy reload");
      };
      operations.clear();
    }

    @Override
    public List<PluginInfo> plugins() {
      return plugins;
    }

    @Override
    public Response call(String plugin, String path, Action action, Request r) {
      throw new AssertionError("an admin route called a plugin");
    }

    @Override
    public Path pluginDirectory() {
      return pluginDir;
    }

    @Override
    public PluginInfo load(Path file) {
      operations.add("load " + file);
      return load.apply(file);
    }

    @Override
    public Optional<PluginInfo> unload(String name) {
      operations.add("unload " + name);
      return unload.apply(name);
    }

    @Override
    public Optional<PluginInfo> reload(String name) {
      operations.add("reload " + name);
      return reload.apply(name);
    }

    @Override
    public Optional<Path> accessPolicyFile() {
      return policyFile;
    }

    @Override
    public AccessPolicy reloadAccessPolicy() {
      operations.add("reload policy");
      return policy.get();
    }
  }

  static PluginInfo hello(PluginState state, long pid, String failure) {
    return new PluginInfo("HelloPlugin", "hello", state,
        state == PluginState.RUNNING ? List.of(Fixtures.endpoint("read", "hello", true)) : List.of(),
        pluginDir.resolve("hello.plugin"), pid, failure);
  }

  @BeforeAll
  static void start() throws IOException {
    pluginDir = Files.createDirectory(tmp.resolve("plugins"));
    Files.writeString(pluginDir.resolve("hello.plugin"), "#!/bin/sh\n");
    Files.writeString(pluginDir.resolve("calculator.plugin"), "#!/bin/sh\n");
    Files.createDirectory(pluginDir.resolve("dir.plugin"));
    Files.writeString(pluginDir.resolve("notes.txt"), "not a plugin\n");
    // Present outside the plugin directory, so a refusal cannot be mistaken for "file not found".
    Files.writeString(tmp.resolve("outside.plugin"), "#!/bin/sh\n");
    SelfSignedCertificate cert = SelfSignedCertificate.generate(Instant.now());
    backend.reset();
    gateway = RestGateway.builder()
        .backend(backend)
        .tokens(TOKENS)
        .sslContext(cert.serverContext())
        .port(0)
        .maxBodyBytes(1000)
        .threads(2)
        .build()
        .start();
    client = HttpClient.newBuilder()
        .sslContext(SelfSignedCertificate.trusting(cert.certificate()))
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
    base = "https://localhost:" + gateway.port();
  }

  @AfterAll
  static void stop() {
    gateway.close();
  }

  @BeforeEach
  void reset() {
    backend.reset();
  }

  private static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
  }

  private static HttpRequest.Builder authorized(String path) {
    return request(path).header("Authorization", "Bearer " + TOKEN);
  }

  private static HttpRequest.Builder post(String path, String json) {
    return authorized(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
  }

  private static HttpRequest.Builder post(String path) {
    return authorized(path).POST(HttpRequest.BodyPublishers.noBody());
  }

  private static HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
    return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode assertJson(int status, HttpResponse<String> response) throws IOException {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
    return JSON.readTree(response.body());
  }

  private static void assertError(int status, String message, HttpResponse<String> response)
      throws IOException {
    JsonNode body = assertJson(status, response);
    assertEquals(status, body.get("status").asInt(), body.toString());
    assertTrue(body.get("error").asText().contains(message), body.toString());
  }

  @Test
  void adminListingShowsFilePidAndFailureBesideTheUsualFields() throws Exception {
    backend.plugins = List.of(
        hello(PluginState.RUNNING, 101, null),
        new PluginInfo("broken.plugin", "broken", PluginState.FAILED, List.of(),
            pluginDir.resolve("broken.plugin"), 0, "handshake failed: exited with code 3"));
    JsonNode body = assertJson(200, send(authorized("/admin/plugins")));
    assertEquals(JSON.readTree("{\"plugins\":["
        + "{\"name\":\"HelloPlugin\",\"root_path\":\"hello\",\"state\":\"RUNNING\","
        + "\"file\":\"hello.plugin\",\"pid\":101,\"failure\":null,\"endpoints\":["
        + "{\"method\":\"GET\",\"url\":\"/plugins/hello/hello\",\"path\":\"hello\",\"action\":\"read\","
        + "\"description\":\"read hello\",\"secure\":true}]},"
        + "{\"name\":\"broken.plugin\",\"root_path\":\"broken\",\"state\":\"FAILED\","
        + "\"file\":\"broken.plugin\",\"pid\":null,\"failure\":\"handshake failed: exited with code 3\","
        + "\"endpoints\":[]}]}"), body);
  }

  @Test
  void onePluginByName() throws Exception {
    JsonNode body = assertJson(200, send(authorized("/admin/plugins/HelloPlugin")));
    assertEquals("HelloPlugin", body.get("name").asText());
    assertEquals(101, body.get("pid").asLong());
    assertError(404, "no plugin named 'Nope'; plugins: HelloPlugin", send(authorized("/admin/plugins/Nope")));
  }

  @ParameterizedTest
  @CsvSource({
      "GET, /admin/plugins",
      "POST, /admin/plugins",
      "GET, /admin/plugins/HelloPlugin",
      "DELETE, /admin/plugins/HelloPlugin",
      "POST, /admin/plugins/HelloPlugin/reload",
      "POST, /admin/policy/reload",
      "GET, /admin/nothing",
      "PUT, /admin"})
  void everyAdminRouteNeedsATokenAndRefusesWithoutTouchingTheBroker(String method, String path)
      throws Exception {
    // Even when every plugin endpoint is open, administration is not.
    backend.plugins = List.of(Fixtures.running("OpenPlugin", "open", Fixtures.endpoint("read", "x", false)));
    HttpResponse<String> missing = send(request(path)
        .header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString("{\"file\":\"hello.plugin\"}")));
    assertError(401, "missing bearer token", missing);
    assertEquals("Bearer realm=\"dtac\"", missing.headers().firstValue("WWW-Authenticate").orElseThrow());
    String foreign = new BearerTokens(new byte[] {
        9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
        9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}, Clock.systemUTC()).issue(Duration.ofHours(1));
    assertError(401, "invalid bearer token", send(request(path)
        .header("Authorization", "Bearer " + foreign)
        .method(method, HttpRequest.BodyPublishers.noBody())));
    assertEquals(List.of(), backend.operations);
  }

  @Test
  void loadLaunchesTheNamedFileOfThePluginDirectoryAndAnswers201() throws Exception {
    backend.plugins = List.of();
    backend.load = file -> hello(PluginState.RUNNING, 202, null);
    HttpResponse<String> r = send(post("/admin/plugins", "{\"file\": \"hello.plugin\"}"));
    JsonNode body = assertJson(201, r);
    assertEquals("HelloPlugin", body.get("name").asText());
    assertEquals("RUNNING", body.get("state").asText());
    assertEquals(202, body.get("pid").asLong());
    assertEquals("hello.plugin", body.get("file").asText());
    assertEquals("/admin/plugins/HelloPlugin", r.headers().firstValue("Location").orElseThrow());
    assertEquals(List.of("load " + pluginDir.resolve("hello.plugin")), backend.operations);
  }

  @Test
  void loadThatFailsIs422WithTheReason() throws Exception {
    backend.plugins = List.of();
    backend.load = file -> new PluginInfo("hello.plugin", "hello", PluginState.FAILED, List.of(),
        file, 0, "refusing to launch hello.plugin: it is writable by group or others");
    assertError(422, "plugin file hello.plugin failed to load: refusing to launch hello.plugin: it is"
        + " writable by group or others", send(post("/admin/plugins", "{\"file\":\"hello.plugin\"}")));
  }

  @Test
  void loadOfAFileThatIsAlreadyLoadedIs409AndLaunchesNothing() throws Exception {
    assertError(409, "hello.plugin is already loaded as plugin 'HelloPlugin' (RUNNING); reload it with"
        + " POST /admin/plugins/HelloPlugin/reload", send(post("/admin/plugins", "{\"file\":\"hello.plugin\"}")));
    assertEquals(List.of(), backend.operations);
  }

  @Test
  void loadOfAFileThatFailedBeforeIsAllowed() throws Exception {
    backend.plugins = List.of(new PluginInfo("hello.plugin", "hello", PluginState.FAILED, List.of(),
        pluginDir.resolve("hello.plugin"), 0, "handshake failed"));
    backend.load = file -> hello(PluginState.RUNNING, 303, null);
    assertJson(201, send(post("/admin/plugins", "{\"file\":\"hello.plugin\"}")));
  }

  static Stream<Arguments> refusedLoadBodies() {
    return Stream.of(
        arguments("{\"file\":\"../outside.plugin\"}", "'../outside.plugin' contains a path separator"),
        arguments("{\"file\":\"..\\\\outside.plugin\"}", "contains a path separator"),
        arguments("{\"file\":\"/etc/passwd\"}", "must be a bare file name in the plugin directory, not a path"),
        arguments("{\"file\":\"PLUGINDIR/hello.plugin\"}", "contains a path separator"),
        arguments("{\"file\":\"sub/hello.plugin\"}", "contains a path separator"),
        arguments("{\"file\":\"..\"}", "must not contain '..'"),
        arguments("{\"file\":\"x..plugin\"}", "must not contain '..'"),
        arguments("{\"file\":\"hello.sh\"}", "must name a NAME.plugin file, got 'hello.sh'"),
        arguments("{\"file\":\"notes.txt\"}", "must name a NAME.plugin file"),
        arguments("{\"file\":\".plugin\"}", "must name a NAME.plugin file"),
        arguments("{\"file\":\"\"}", "\"file\" is empty"),
        arguments("{\"file\":\"hello\\u0000.plugin\"}", "contains a control character"),
        arguments("{\"file\":\"hello.plugin\\n\"}", "contains a control character"),
        arguments("{\"file\":\"missing.plugin\"}", "no plugin file 'missing.plugin' in the plugin"
            + " directory; files there: calculator.plugin, dir.plugin, hello.plugin"),
        arguments("{\"file\":\"dir.plugin\"}", "no plugin file 'dir.plugin'"),
        arguments("{\"file\":42}", "the body needs \"file\" as a string"),
        arguments("{\"file\":null}", "the body needs \"file\" as a string"),
        arguments("{}", "the body needs \"file\" as a string"),
        arguments("{\"name\":\"hello.plugin\"}", "unknown field 'name'"),
        arguments("{\"file\":\"hello.plugin\",\"x\":1}", "unknown field 'x'"),
        arguments("[\"hello.plugin\"]", "the body must be a JSON object"),
        arguments("\"hello.plugin\"", "the body must be a JSON object"));
  }

  @ParameterizedTest
  @MethodSource("refusedLoadBodies")
  void loadRefusesEverythingButABarePluginFileNameAndLaunchesNothing(String body, String message)
      throws Exception {
    backend.plugins = List.of();
    String json = body.replace("PLUGINDIR", pluginDir.toString());
    assertError(400, message, send(post("/admin/plugins", json)));
    assertEquals(List.of(), backend.operations);
  }

  @Test
  void loadWithoutOrWithMalformedBodyIs400() throws Exception {
    assertError(400, "the body must be a JSON object {\"file\": \"NAME.plugin\"}", send(post("/admin/plugins")));
    assertError(400, "malformed JSON body", send(post("/admin/plugins", "{\"file\":")));
    assertError(400, "malformed JSON body", send(authorized("/admin/plugins")
        .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString("hello.plugin"))));
    assertError(413, "larger than the limit of 1000 bytes",
        send(post("/admin/plugins", "{\"file\":\"" + "x".repeat(1000) + ".plugin\"}")));
    assertEquals(List.of(), backend.operations);
  }

  @Test
  void unloadAnswersTheStoppedPlugin() throws Exception {
    backend.unload = name -> Optional.of(hello(PluginState.STOPPED, 101, null));
    JsonNode body = assertJson(200, send(authorized("/admin/plugins/HelloPlugin").DELETE()));
    assertEquals("STOPPED", body.get("state").asText());
    assertEquals("HelloPlugin", body.get("name").asText());
    assertEquals(List.of("unload HelloPlugin"), backend.operations);
  }

  @Test
  void unloadOrReloadOfAnUnknownPluginIs404ListingThePlugins() throws Exception {
    assertError(404, "no plugin named 'Hello'; plugins: HelloPlugin",
        send(authorized("/admin/plugins/Hello").DELETE()));
    assertError(404, "no plugin named 'Hello'; plugins: HelloPlugin", send(post("/admin/plugins/Hello/reload")));
  }

  @Test
  void unloadOfAFileThatNeverRegisteredSaysToLoadItInstead() throws Exception {
    backend.plugins = List.of(new PluginInfo("broken.plugin", "broken", PluginState.FAILED, List.of(),
        pluginDir.resolve("broken.plugin"), 0, "handshake failed: exited with code 3"));
    assertError(404, "'broken.plugin' failed before it could register, so there is no plugin to unload or"
        + " reload (handshake failed: exited with code 3); fix it and load it with POST /admin/plugins"
        + " {\"file\": \"broken.plugin\"}", send(authorized("/admin/plugins/broken.plugin").DELETE()));
  }

  @Test
  void reloadAnswers200WhenItRunsAgainAnd502WithTheReasonWhenItFails() throws Exception {
    backend.reload = name -> Optional.of(hello(PluginState.RUNNING, 404, null));
    JsonNode body = assertJson(200, send(post("/admin/plugins/HelloPlugin/reload")));
    assertEquals(404, body.get("pid").asLong());
    backend.reload = name -> Optional.of(hello(PluginState.FAILED, 0, "process exited with code 1"));
    assertError(502, "plugin 'HelloPlugin' failed to start again: process exited with code 1",
        send(post("/admin/plugins/HelloPlugin/reload")));
    assertEquals(List.of("reload HelloPlugin", "reload HelloPlugin"), backend.operations);
  }

  @Test
  void pluginNamesArePathSegmentsDecodedFromTheUrl() throws Exception {
    backend.reload = name -> Optional.of(new PluginInfo(name, "odd", PluginState.RUNNING, List.of(),
        pluginDir.resolve("odd.plugin"), 7, null));
    assertJson(200, send(post("/admin/plugins/Odd%20Plugin/reload")));
    assertEquals(List.of("reload Odd Plugin"), backend.operations);
    assertEquals("/admin/plugins/Odd%20Plugin", AdminRoutes.pluginUrl("Odd Plugin"));
  }

  @Test
  void policyReloadAnswersThePolicyNowInForce() throws Exception {
    Path file = tmp.resolve("policy.yaml");
    Files.writeString(file, "defaultEffect: deny\nrules:\n  - id: calc-reads-hello\n"
        + "    caller: CalculatorPlugin\n    target: HelloPlugin\n    operation: \"read:hello\"\n"
        + "    effect: allow\n");
    backend.policyFile = Optional.of(file);
    backend.policy = () -> {
      try {
        return AccessPolicy.read(file);
      } catch (IOException e) {
        throw new IllegalArgumentException(e);
      }
    };
    JsonNode body = assertJson(200, send(post("/admin/policy/reload")));
    assertEquals(JSON.readTree("{\"source\":" + JSON.writeValueAsString(AccessPolicy.read(file).source())
        + ",\"default_effect\":\"deny\",\"rules\":[{\"id\":\"calc-reads-hello\",\"caller\":\"CalculatorPlugin\","
        + "\"target\":\"HelloPlugin\",\"operation\":\"read:hello\",\"effect\":\"allow\"}]}"), body);
    assertEquals(List.of("reload policy"), backend.operations);
  }

  @Test
  void policyReloadOfAnInvalidFileIs400AndSaysTheOldPolicyStays() throws Exception {
    backend.policyFile = Optional.of(tmp.resolve("policy.yaml"));
    backend.policy = () -> {
      throw new IllegalArgumentException("policy.yaml: rule 1: unknown field 'efect'");
    };
    assertError(400, "not reloaded, the previous policy stays in force: policy.yaml: rule 1: unknown"
        + " field 'efect'", send(post("/admin/policy/reload")));
  }

  @Test
  void policyReloadWithoutAPolicyFileIs409() throws Exception {
    assertError(409, "the agent has no access policy file to reload", send(post("/admin/policy/reload")));
    assertEquals(List.of(), backend.operations);
  }

  @ParameterizedTest
  @CsvSource({
      "PUT, /admin/plugins, 'GET, POST'",
      "DELETE, /admin/plugins, 'GET, POST'",
      "POST, /admin/plugins/HelloPlugin, 'DELETE, GET'",
      "GET, /admin/plugins/HelloPlugin/reload, POST",
      "GET, /admin/policy/reload, POST"})
  void wrongMethodIs405WithAllow(String method, String path, String allow) throws Exception {
    HttpResponse<String> r = send(authorized(path).method(method, HttpRequest.BodyPublishers.noBody()));
    assertError(405, "method " + method + " not allowed on " + path + "; allowed: " + allow, r);
    assertEquals(allow, r.headers().firstValue("Allow").orElseThrow());
    assertEquals(List.of(), backend.operations);
  }

  @ParameterizedTest
  @CsvSource({"/admin", "/admin/", "/admin/plugins/", "/admin/plugins/HelloPlugin/stop",
      "/admin/plugins/HelloPlugin/reload/x", "/admin/policy"})
  void unknownAdminRouteIs404ListingTheRoutes(String path) throws Exception {
    assertError(404, "no admin route " + path + "; admin routes: GET /admin/plugins, POST /admin/plugins",
        send(authorized(path)));
  }

  @Test
  void brokerThatIsClosingIs503() throws Exception {
    backend.plugins = List.of();
    backend.load = file -> {
      throw new IllegalStateException("the broker is not running");
    };
    backend.unload = name -> {
      throw new IllegalStateException("the broker is not running");
    };
    backend.reload = name -> {
      throw new IllegalStateException("the broker is closed");
    };
    assertError(503, "the agent is shutting down: the broker is not running",
        send(post("/admin/plugins", "{\"file\":\"hello.plugin\"}")));
    assertError(503, "the agent is shutting down: the broker is not running",
        send(authorized("/admin/plugins/HelloPlugin").DELETE()));
    assertError(503, "the agent is shutting down: the broker is closed",
        send(post("/admin/plugins/HelloPlugin/reload")));
  }
}
