package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.dtac.broker.server.PluginBroker;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The REST gateway continues an incoming W3C trace: REST -> calculator -> broker -> hello is one
 * trace, its spans parent and child across three processes (the test JVM with the gateway and the
 * broker, and the two real plugin processes), recorded by OpenTelemetry's in-memory exporter.
 */
class GatewayTraceIT {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String CLIENT_SPAN = "00f067aa0ba902b7";
  private static final BearerTokens TOKENS = new BearerTokens(new byte[32], Clock.systemUTC());
  private static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private static OpenTelemetrySdk otel;
  private static PluginBroker broker;
  private static RestGateway gateway;
  private static HttpClient client;

  @BeforeAll
  static void start() throws Exception {
    otel = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
        .build();
    Path plugins = Path.of(System.getProperty("dtac.plugins.dir", "target/plugins")).toAbsolutePath();
    broker = PluginBroker.builder().pluginDirectory(plugins).openTelemetry(otel).build().start();
    SelfSignedCertificate cert = SelfSignedCertificate.generate(Instant.now());
    gateway = RestGateway.builder()
        .backend(GatewayBackend.of(broker, plugins, Optional.empty()))
        .tokens(TOKENS)
        .sslContext(cert.serverContext())
        .port(0)
        .openTelemetry(otel)
        .build()
        .start();
    client = HttpClient.newBuilder().sslContext(SelfSignedCertificate.trusting(cert.certificate())).build();
  }

  @AfterAll
  static void stop() {
    gateway.close();
    broker.close();
    otel.close();
  }

  @BeforeEach
  void clear() {
    spans.reset();
  }

  private static HttpResponse<String> post(String path, String body) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("https://localhost:" + gateway.port() + path))
            .header("Authorization", "Bearer " + TOKENS.issue(Duration.ofMinutes(5)))
            .header("Content-Type", "application/json")
            .header("traceparent", "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .timeout(Duration.ofSeconds(30))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static SpanData only(List<SpanData> all, String name, String target) {
    return all.stream()
        .filter(s -> s.getName().equals(name))
        .filter(s -> target == null || target.equals(s.getAttributes().get(AttributeKey.stringKey("dtac.target"))))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no span " + name + " " + target + " in " + all));
  }

  @Test
  void restCalculatorBrokerHelloIsOneTrace() throws Exception {
    HttpResponse<String> r = post("/plugins/calculator/calculate_via_hello", "{\"operation\":\"add\",\"a\":5,\"b\":3}");
    assertEquals(200, r.statusCode(), r.body());
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().size() >= 3);
    List<SpanData> all = spans.getFinishedSpanItems();
    SpanData rest = only(all, "POST", null);
    SpanData toCalculator = only(all, "dtac.broker.call", "CalculatorPlugin");
    SpanData toHello = only(all, "dtac.broker.call", "HelloPlugin");
    for (SpanData s : List.of(rest, toCalculator, toHello)) {
      assertEquals(TRACE_ID, s.getTraceId(), "one trace, continued from the client's traceparent: " + s);
    }
    assertEquals(CLIENT_SPAN, rest.getParentSpanId());
    assertEquals(rest.getSpanId(), toCalculator.getParentSpanId());
    assertEquals(toCalculator.getSpanId(), toHello.getParentSpanId());
    assertEquals(200L, rest.getAttributes().get(AttributeKey.longKey("http.response.status_code")));
    assertEquals("/plugins/calculator/calculate_via_hello", rest.getAttributes().get(AttributeKey.stringKey("url.path")));
  }

  @Test
  void aFailedCallsSpanSaysSo() throws Exception {
    HttpResponse<String> r = post("/plugins/calculator/calculate", "{\"operation\":\"divide\",\"a\":1,\"b\":0}");
    assertEquals(400, r.statusCode(), r.body());
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().size() >= 2);
    SpanData call = only(spans.getFinishedSpanItems(), "dtac.broker.call", "CalculatorPlugin");
    assertEquals(StatusCode.ERROR, call.getStatus().getStatusCode());
    assertEquals(3L, call.getAttributes().get(AttributeKey.longKey("rpc.grpc.status_code")), "INVALID_ARGUMENT");
    SpanData rest = only(spans.getFinishedSpanItems(), "POST", null);
    assertNotNull(rest);
    assertEquals(400L, rest.getAttributes().get(AttributeKey.longKey("http.response.status_code")));
  }
}
