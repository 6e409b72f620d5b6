package io.dtac.examples.agent;

import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.internal.Protos;
import io.grpc.StatusRuntimeException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.StringList;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway over real HTTPS and a real TLS handshake, in front of a scripted backend: the
 * broker's side is pinned by ExampleAgentIT with real plugins; here every HTTP rule is exercised,
 * including failures (timeouts, plugin crashes) real plugins would make slow or flaky to provoke.
 */
class RestGatewayTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] SECRET = new byte[32];
  private static final BearerTokens TOKENS = new BearerTokens(SECRET, Clock.systemUTC());
  private static final String TOKEN = TOKENS.issue(Duration.ofHours(1));

  private static final AtomicReference<EndpointRequest> lastRequest = new AtomicReference<>();
  private static final AtomicReference<Function<EndpointRequest, EndpointResponse>> answer =
      new AtomicReference<>();
  private static final AtomicReference<List<PluginInfo>> plugins = new AtomicReference<>();

  private static RestGateway gateway;
  private static HttpClient client;
  private static String base;

  @BeforeAll
  static void start() throws IOException {
    SelfSignedCertificate cert = SelfSignedCertificate.generate(Instant.now());
    GatewayBackend backend = new GatewayBackend() {
      @Override
      public List<PluginInfo> plugins() {
        return plugins.get();
      }

      @Override
      public Response call(String plugin, String path, Action action, Request r) throws PluginCallException {
        // Scripted in the protocol's messages, so the mapping to and from HTTP is seen exactly.
        EndpointRequest sent = Protos.toProto(r);
        lastRequest.set(sent);
        try {
          return Protos.fromProto(answer.get().apply(sent));
        } catch (StatusRuntimeException e) {
          throw Protos.toException(e);
        }
      }

      // The admin routes have their own scripted backend, in AdminRoutesTest.
      @Override
      public Path pluginDirectory() {
        throw new AssertionError("no admin route is exercised here");
      }

      @Override
      public PluginInfo load(Path file) {
        throw new AssertionError("no admin route is exercised here");
      }

      @Override
      public Optional<PluginInfo> unload(String name) {
        throw new AssertionError("no admin route is exercised here");
      }

      @Override
      public Optional<PluginInfo> reload(String name) {
        throw new AssertionError("no admin route is exercised here");
      }

      @Override
      public Optional<Path> accessPolicyFile() {
        throw new AssertionError("no admin route is exercised here");
      }

      @Override
      public AccessPolicy reloadAccessPolicy() {
        throw new AssertionError("no admin route is exercised here");
      }
    };
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
    plugins.set(Fixtures.EXAMPLES);
    lastRequest.set(null);
    answer.set(r -> json("{\"ok\":true}"));
  }

  private static EndpointResponse json(String body) {
    return EndpointResponse.newBuilder().setValue(ByteString.copyFromUtf8(body)).build();
  }

  private static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20));
  }

  private static HttpRequest.Builder authorized(String path) {
    return request(path).header("Authorization", "Bearer " + TOKEN);
  }

  private static HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
    return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(int status, String message, HttpResponse<String> response)
      throws IOException {
    assertEquals(status, response.statusCode(), response.body());
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""));
    JsonNode body = JSON.readTree(response.body());
    assertEquals(status, body.get("status").asInt());
    assertTrue(body.get("error").asText().contains(message), body.toString());
  }

  @Test
  void callCarriesQueryHeadersAndBodyButNotTheToken() throws Exception {
    HttpResponse<String> r = send(authorized("/plugins/calculator/calculate?x=1&x=2&name=a%20b&flag")
        .header("Content-Type", "application/json")
        .header("X-Trace", "t1")
        .POST(HttpRequest.BodyPublishers.ofString("{\"a\":1}")));
    assertEquals(200, r.statusCode(), r.body());
    EndpointRequest sent = lastRequest.get();
    assertEquals(List.of("1", "2"), sent.getParametersOrThrow("x").getValuesList());
    assertEquals(List.of("a b"), sent.getParametersOrThrow("name").getValuesList());
    assertEquals(List.of(""), sent.getParametersOrThrow("flag").getValuesList());
    assertEquals(List.of("t1"), sent.getHeadersOrThrow("X-Trace").getValuesList());
    assertEquals(List.of("application/json"), sent.getHeadersOrThrow("Content-Type").getValuesList());
    assertFalse(sent.getHeadersMap().keySet().stream().anyMatch(h -> h.equalsIgnoreCase("Authorization")));
    assertEquals("{\"a\":1}", sent.getBody().toStringUtf8());
    assertEquals("POST", sent.getMetadataOrThrow("http_method"));
    assertEquals("/plugins/calculator/calculate", sent.getMetadataOrThrow("http_path"));
  }

  @Test
  void responseValueIsTheBodyAndItsHeadersAreHttpHeaders() throws Exception {
    answer.set(r -> EndpointResponse.newBuilder()
        .setValue(ByteString.copyFromUtf8("{\"message\":\"hi\"}"))
        .putHeaders("X-Plugin", StringList.newBuilder().addValues("a").addValues("b").build())
        .putHeaders("Content-Length", StringList.newBuilder().addValues("999").build())
        .build());
    HttpResponse<String> r = send(authorized("/plugins/hello/hello"));
    assertEquals(200, r.statusCode());
    assertEquals("{\"message\":\"hi\"}", r.body());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElseThrow());
    assertEquals(List.of("a", "b"), r.headers().allValues("X-Plugin"));
  }

  @Test
  void contentTypeOfThePluginWinsAndNonJsonIsOctetStream() throws Exception {
    answer.set(r -> EndpointResponse.newBuilder().setValue(ByteString.copyFromUtf8("plain"))
        .putHeaders("content-type", StringList.newBuilder().addValues("text/plain").build()).build());
    assertEquals("text/plain", send(authorized("/plugins/hello/hello")).headers().firstValue("Content-Type").orElseThrow());
    answer.set(r -> EndpointResponse.newBuilder().setValue(ByteString.copyFromUtf8("not json")).build());
    assertEquals("application/octet-stream",
        send(authorized("/plugins/hello/hello")).headers().firstValue("Content-Type").orElseThrow());
  }

  @Test
  void secureEndpointWithoutTokenIs401AndNeverReachesThePlugin() throws Exception {
    HttpResponse<String> r = send(request("/plugins/hello/hello"));
    assertError(401, "missing bearer token", r);
    assertEquals("Bearer realm=\"dtac\"", r.headers().firstValue("WWW-Authenticate").orElseThrow());
    assertNull(lastRequest.get());
  }

  @Test
  void wrongOrExpiredTokenIs401() throws Exception {
    String foreign = new BearerTokens(new byte[] {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
        17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}, Clock.systemUTC())
        .issue(Duration.ofHours(1));
    HttpResponse<String> r = send(request("/plugins/hello/hello").header("Authorization", "Bearer " + foreign));
    assertError(401, "invalid bearer token", r);
    assertTrue(r.headers().firstValue("WWW-Authenticate").orElseThrow().contains("invalid_token"));
    String expired = new BearerTokens(SECRET,
        Clock.fixed(Instant.now().minus(Duration.ofDays(2)), ZoneOffset.UTC)).issue(Duration.ofHours(1));
    assertError(401, "bearer token expired",
        send(request("/plugins/hello/hello").header("Authorization", "Bearer " + expired)));
    assertNull(lastRequest.get());
  }

  @Test
  void endpointNotMarkedSecureNeedsNoToken() throws Exception {
    assertEquals(200, send(request("/plugins/items/open")).statusCode());
  }

  @Test
  void unauthenticatedCallerCannotProbeTheRoutes() throws Exception {
    assertError(401, "missing bearer token", send(request("/plugins/nothing/here")));
    assertError(401, "missing bearer token", send(request("/plugins/hello/hello").DELETE()));
    assertError(401, "missing bearer token", send(request("/plugins")));
  }

  @Test
  void unknownPluginOrEndpointIs404() throws Exception {
    assertError(404, "no plugin at /plugins/nothing", send(authorized("/plugins/nothing/here")));
    assertError(404, "has no endpoint 'bye'", send(authorized("/plugins/hello/bye")));
    assertError(404, "no route /other; plugin endpoints are under /plugins, administration under /admin",
        send(request("/other")));
  }

  @Test
  void wrongMethodIs405WithAllow() throws Exception {
    HttpResponse<String> r = send(authorized("/plugins/hello/hello").POST(HttpRequest.BodyPublishers.noBody()));
    assertError(405, "method POST not allowed on /plugins/hello/hello; allowed: GET", r);
    assertEquals("GET", r.headers().firstValue("Allow").orElseThrow());
    assertError(405, "allowed: GET", send(authorized("/plugins").DELETE()));
  }

  @Test
  void malformedJsonIs400WhenTheBodyIsDeclaredJson() throws Exception {
    HttpResponse<String> r = send(authorized("/plugins/calculator/calculate")
        .header("Content-Type", "application/json; charset=utf-8")
        .POST(HttpRequest.BodyPublishers.ofString("{\"a\":")));
    assertError(400, "malformed JSON body", r);
    assertNull(lastRequest.get());
    assertError(400, "malformed JSON body", send(authorized("/plugins/calculator/calculate")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{} trailing"))));
    assertEquals(200, send(authorized("/plugins/calculator/calculate")
        .header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("{\"a\":"))).statusCode());
  }

  @Test
  void bodyOverTheLimitIs413WhetherDeclaredOrChunked() throws Exception {
    byte[] big = new byte[1001];
    assertError(413, "larger than the limit of 1000 bytes", send(authorized("/plugins/calculator/calculate")
        .POST(HttpRequest.BodyPublishers.ofByteArray(big))));
    assertError(413, "larger than the limit of 1000 bytes", send(authorized("/plugins/calculator/calculate")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)))));
    assertNull(lastRequest.get());
    assertEquals(200, send(authorized("/plugins/calculator/calculate")
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[1000]))).statusCode());
  }

  @Test
  void pluginFailuresMapToGatewayStatuses() throws Exception {
    answer.set(r -> {
      throw Status.INTERNAL.withDescription("endpoint create:calculate failed: boom").asRuntimeException();
    });
    assertError(502, "plugin error (INTERNAL): endpoint create:calculate failed: boom",
        send(authorized("/plugins/hello/hello")));
    answer.set(r -> {
      throw Status.UNAVAILABLE.withDescription("plugin 'HelloPlugin' is not running").asRuntimeException();
    });
    assertError(503, "plugin 'HelloPlugin' is not running", send(authorized("/plugins/hello/hello")));
    answer.set(r -> {
      throw Status.DEADLINE_EXCEEDED.withDescription("did not complete within 30000 ms").asRuntimeException();
    });
    assertError(504, "did not complete within", send(authorized("/plugins/hello/hello")));
    answer.set(r -> {
      throw Status.INVALID_ARGUMENT.withDescription("division by zero").asRuntimeException();
    });
    assertError(400, "division by zero", send(authorized("/plugins/hello/hello")));
    answer.set(r -> {
      throw Status.FAILED_PRECONDITION.withDescription("call cycle refused: A -> B -> A").asRuntimeException();
    });
    assertError(409, "call cycle refused: A -> B -> A", send(authorized("/plugins/hello/hello")));
    answer.set(r -> {
      throw Status.RESOURCE_EXHAUSTED.withDescription("the request is 5000000 bytes").asRuntimeException();
    });
    assertError(413, "the request is 5000000 bytes", send(authorized("/plugins/hello/hello")));
  }

  @Test
  void aBugInTheBackendIs500AndTheGatewayKeepsServing() throws Exception {
    answer.set(r -> {
      throw new IllegalStateException("surprise");
    });
    assertError(500, "internal error in the REST gateway", send(authorized("/plugins/hello/hello")));
    answer.set(r -> json("{}"));
    assertEquals(200, send(authorized("/plugins/hello/hello")).statusCode());
  }

  @Test
  void pluginThatIsNotRunningIs503() throws Exception {
    plugins.set(List.of(Fixtures.failed("HelloPlugin", "hello", "exited with code 1")));
    assertError(503, "plugin 'HelloPlugin' is not running (FAILED): exited with code 1",
        send(authorized("/plugins/hello/hello")));
  }

  @Test
  void listingShowsEveryPluginWithItsStateAndEndpoints() throws Exception {
    plugins.set(List.of(
        Fixtures.running("HelloPlugin", "hello", Fixtures.endpoint("read", "hello", true)),
        Fixtures.failed("broken.plugin", "broken", "exited with code 1")));
    HttpResponse<String> r = send(authorized("/plugins"));
    assertEquals(200, r.statusCode());
    assertEquals(JSON.readTree("{\"plugins\":["
        + "{\"name\":\"HelloPlugin\",\"root_path\":\"hello\",\"state\":\"RUNNING\",\"endpoints\":["
        + "{\"method\":\"GET\",\"url\":\"/plugins/hello/hello\",\"path\":\"hello\",\"action\":\"read\","
        + "\"description\":\"read hello\",\"secure\":true}]},"
        + "{\"name\":\"broken.plugin\",\"root_path\":\"broken\",\"state\":\"FAILED\","
        + "\"failure\":\"exited with code 1\",\"endpoints\":[]}]}"), JSON.readTree(r.body()));
  }

  @Test
  void closedGatewayRefusesConnectionsAndClosesTwice() throws Exception {
    RestGateway other = RestGateway.builder()
        .backend(GatewayBackend.of(PluginBroker.builder().build(), Path.of("plugins"), Optional.empty()))
        .tokens(TOKENS)
        .sslContext(SelfSignedCertificate.generate(Instant.now()).serverContext())
        .port(0)
        .build()
        .start();
    int port = other.port();
    other.close();
    other.close();
    HttpRequest r = HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/plugins")).build();
    assertThrows(ConnectException.class, () -> client.send(r, HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void builderRejectsInvalidSettings() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RestGateway.builder().build());
    assertTrue(e.getMessage().contains("needs a backend"));
    assertThrows(IllegalArgumentException.class, () -> RestGateway.builder()
        .backend(GatewayBackend.of(PluginBroker.builder().build(), Path.of("plugins"), Optional.empty()))
        .tokens(TOKENS).sslContext(SelfSignedCertificate.generate(Instant.now()).serverContext())
        .port(70000).build());
  }

  @Test
  void refusalsThatNeverReadTheBodyKeepTheConnectionUsableForTheNextRequest() throws Exception {
    // Each refusal is answered before its route could need the body. The JDK HttpsServer used to
    // read that body only after answering, and could then swallow the client's next request on
    // the same kept-alive connection: the next request hung until it timed out, one time in a
    // few hundred. The loop gives that race many chances on the client's one pooled connection.
    List<HttpRequest.Builder> refusals = List.of(
        request("/admin/plugins").method("GET", BodyPublishers.ofString("{\"file\":\"hello.plugin\"}")),
        request("/plugins").method("GET", BodyPublishers.ofString("{\"x\":1}")),
        request("/nowhere").POST(BodyPublishers.ofString("{\"x\":1}")),
        authorized("/plugins").POST(BodyPublishers.ofString("{\"x\":1}")),
        authorized("/plugins/nope/x").PUT(BodyPublishers.ofString("x".repeat(1000))));
    List<Integer> statuses = List.of(401, 401, 404, 405, 404);
    for (int round = 0; round < 15; round++) {
      for (int i = 0; i < refusals.size(); i++) {
        HttpResponse<String> refused =
            client.send(refusals.get(i).timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
        assertEquals(statuses.get(i), refused.statusCode(), refused.body());
        assertEquals(String.valueOf(refused.body().getBytes(StandardCharsets.UTF_8).length),
            refused.headers().firstValue("Content-Length").orElse("none"), refused.body());
        HttpResponse<String> next = client.send(
            authorized("/plugins").timeout(Duration.ofSeconds(10)).build(), BodyHandlers.ofString());
        assertEquals(200, next.statusCode(), next.body());
      }
    }
  }
}
