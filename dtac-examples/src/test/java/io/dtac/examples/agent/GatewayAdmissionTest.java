package io.dtac.examples.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginInfo;
import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.core.Response;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the gateway does before it routes a request, over real HTTPS: nothing but {@code GET
 * /health} is served until the agent is ready (503 with Retry-After, never a 404 for a plugin still
 * loading), and one client gets no more than its share of the request slots.
 */
class GatewayAdmissionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final BearerTokens TOKENS = new BearerTokens(new byte[32], Clock.systemUTC());
  private static final SelfSignedCertificate CERT = SelfSignedCertificate.generate(Instant.now());

  private final AtomicBoolean ready = new AtomicBoolean();
  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger held = new AtomicInteger();
  private final HttpClient client = HttpClient.newBuilder()
      .sslContext(SelfSignedCertificate.trusting(CERT.certificate()))
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10))
      .build();
  private RestGateway gateway;

  @AfterEach
  void close() {
    release.countDown();
    if (gateway != null) {
      gateway.close();
    }
  }

  /** Answers every endpoint; {@code ?hold} makes a call wait until the test releases it. */
  private final GatewayBackend backend = new GatewayBackend() {
    @Override
    public List<PluginInfo> plugins() {
      return Fixtures.EXAMPLES;
    }

    @Override
    public Response call(String plugin, String path, Action action, Request r) {
      if (r.parameter("hold").isPresent()) {
        held.incrementAndGet();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return Response.json(Map.of("ok", true));
    }

    @Override
    public Path pluginDirectory() {
      return Path.of("plugins");
    }

    @Override
    public PluginInfo load(Path file) {
      throw new AssertionError("not while starting");
    }

    @Override
    public Optional<PluginInfo> unload(String name) {
      throw new AssertionError("not while starting");
    }

    @Override
    public Optional<PluginInfo> reload(String name) {
      throw new AssertionError("not while starting");
    }

    @Override
    public Optional<Path> accessPolicyFile() {
      return Optional.empty();
    }

    @Override
    public AccessPolicy reloadAccessPolicy() {
      throw new AssertionError("not while starting");
    }
  };

  private void start(GatewayLimits limits) throws Exception {
    gateway = RestGateway.builder()
        .backend(backend)
        .tokens(TOKENS)
        .sslContext(CERT.serverContext())
        .port(0)
        .limits(limits)
        .readiness(ready::get)
        .build()
        .start();
  }

  private HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://localhost:" + gateway.port() + path))
        .timeout(Duration.ofSeconds(20));
    return token == null ? b : b.header("Authorization", "Bearer " + token);
  }

  private HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
    return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void assertError(int status, String message, HttpResponse<String> r) throws Exception {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    JsonNode body = JSON.readTree(r.body());
    assertEquals(status, body.get("status").asInt(), r.body());
    assertTrue(body.get("error").asText().contains(message), r.body());
  }

  @Test
  void untilTheAgentIsReadyEveryRequestButHealthIs503StartingWithRetryAfterAndNever404() throws Exception {
    start(GatewayLimits.defaults());
    String token = TOKENS.issue(Duration.ofHours(1));
    List<HttpRequest.Builder> requests = List.of(
        request("/plugins/hello/hello", token),
        request("/plugins/hello/hello", null),
        request("/plugins/not-loaded-yet/x", token),
        request("/plugins", token),
        request("/admin/plugins", token),
        request("/admin/plugins", token).POST(HttpRequest.BodyPublishers.ofString("{\"file\":\"hello.plugin\"}")),
        request("/elsewhere", null));
    for (HttpRequest.Builder r : requests) {
      HttpResponse<String> answer = send(r);
      assertError(503, "the agent is starting: its plugins are still loading", answer);
      assertEquals("1", answer.headers().firstValue("Retry-After").orElse("none"), answer.body());
    }
    ready.set(true);
    assertEquals(200, send(request("/plugins/hello/hello", token)).statusCode());
    assertError(404, "no plugin at /plugins/not-loaded-yet", send(request("/plugins/not-loaded-yet/x", token)));
  }

  @Test
  void healthTellsLiveAndReadyWithoutAToken() throws Exception {
    start(GatewayLimits.defaults());
    HttpResponse<String> starting = send(request("/health", null));
    assertEquals(503, starting.statusCode(), starting.body());
    assertEquals("1", starting.headers().firstValue("Retry-After").orElse("none"));
    assertEquals(JSON.readTree("{\"live\":true,\"ready\":false,\"state\":\"starting\",\"error\":\""
        + HealthRoute.STARTING_MESSAGE + "\",\"status\":503}"), JSON.readTree(starting.body()));
    ready.set(true);
    HttpResponse<String> up = send(request("/health", null));
    assertEquals(200, up.statusCode(), up.body());
    assertEquals(JSON.readTree("{\"live\":true,\"ready\":true,\"state\":\"ready\"}"), JSON.readTree(up.body()));
    HttpResponse<String> post = send(request("/health", null).POST(HttpRequest.BodyPublishers.noBody()));
    assertError(405, "allowed: GET", post);
    assertEquals("GET", post.headers().firstValue("Allow").orElseThrow());
  }

  @Test
  void oneClientGetsItsShareOfTheSlotsAndTheOthersAreStillServed() throws Exception {
    start(GatewayLimits.builder().threads(4).maxRequestsPerClient(2).build());
    ready.set(true);
    String greedy = TOKENS.issue(Duration.ofHours(1));
    String other = TOKENS.issue(Duration.ofHours(2));
    List<CompletableFuture<HttpResponse<String>>> holding = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      holding.add(client.sendAsync(request("/plugins/hello/hello?hold", greedy).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> held.get() == 2);

    HttpResponse<String> third = send(request("/plugins/hello/hello", greedy));
    assertError(429, "max_requests_per_client", third);
    assertEquals("1", third.headers().firstValue("Retry-After").orElse("none"));
    assertEquals(200, send(request("/plugins/hello/hello", other)).statusCode(), "another client is served");

    for (int i = 0; i < 2; i++) {
      holding.add(client.sendAsync(request("/plugins/hello/hello?hold", other).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> held.get() == 4);
    HttpResponse<String> full = send(request("/plugins/hello/hello", TOKENS.issue(Duration.ofHours(3))));
    assertError(503, "threads in the agent's --config file", full);
    assertEquals("1", full.headers().firstValue("Retry-After").orElse("none"));

    release.countDown();
    for (CompletableFuture<HttpResponse<String>> f : holding) {
      assertEquals(200, f.get(20, TimeUnit.SECONDS).statusCode());
    }
    assertEquals(200, send(request("/plugins/hello/hello", greedy)).statusCode(), "slots are given back");
  }
}
