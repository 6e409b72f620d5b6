package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example agent observed as an operator would: a real Prometheus server (Debian's {@code
 * prometheus}, installed by {@code .ci/run}) scrapes the agent's loopback {@code /metrics}, and
 * the agent exports its traces over OTLP/HTTP to a real HTTP server standing in for a collector,
 * because {@code OTEL_EXPORTER_OTLP_ENDPOINT} is set. Brokered calls made through the REST
 * gateway show up in Prometheus's query API with their count and latency.
 */
class PrometheusIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern METRICS_LINE = Pattern.compile("^metrics: +http://127\\.0\\.0\\.1:(\\d+)/metrics");
  private static final int CALLS = 5;
  @TempDir static Path tmp;
  private static AgentProcess agent;
  private static Process prometheus;
  private static HttpServer collector;
  private static final List<byte[]> exported = new CopyOnWriteArrayList<>();
  private static int prometheusPort;
  private static int metricsPort;
  private static final HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    Path binary = Path.of("/usr/bin/prometheus");
    assumeTrue(Files.isExecutable(binary),
        "Prometheus is not installed (Debian package 'prometheus'; .ci/run installs it): skipping");
    collector = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    collector.createContext("/v1/traces", exchange -> {
      try (exchange) {
        exported.add(exchange.getRequestBody().readAllBytes());
        exchange.sendResponseHeaders(200, -1);
      }
    });
    collector.start();
    Path config = Files.writeString(tmp.resolve("agent.json"), "{\"metrics_port\": 0}");
    agent = AgentProcess.start(
        AgentProcess.java("agent", "--port", "0", "--config", config.toString()), tmp.resolve("home"),
        Map.of(
            "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.getAddress().getPort(),
            "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
            "OTEL_SERVICE_NAME", "dtac-agent",
            "OTEL_BSP_SCHEDULE_DELAY", "200"));
    agent.awaitPort();
    metricsPort = Integer.parseInt(agent.awaitLine(METRICS_LINE));

    prometheusPort = freePort();
    Path scrape = Files.writeString(tmp.resolve("prometheus.yml"),
        "global:\n  scrape_interval: 1s\n"
            + "scrape_configs:\n  - job_name: dtac-agent\n    static_configs:\n"
            + "      - targets: ['127.0.0.1:" + metricsPort + "']\n");
    prometheus = new ProcessBuilder(binary.toString(),
            "--config.file=" + scrape,
            "--storage.tsdb.path=" + tmp.resolve("tsdb"),
            "--web.listen-address=127.0.0.1:" + prometheusPort)
        .redirectErrorStream(true)
        .redirectOutput(tmp.resolve("prometheus.log").toFile())
        .start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (prometheus != null) {
      prometheus.destroy();
      if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly().waitFor();
      }
    }
    if (agent != null) {
      agent.terminate();
      agent.close();
    }
    if (collector != null) {
      collector.stop(0);
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void prometheusSeesTheCountAndLatencyOfCalculatorToHello() throws Exception {
    String token = agent.token();
    HttpClient client = agent.client();
    for (int i = 0; i < CALLS; i++) {
      HttpResponse<String> r = client.send(
          HttpRequest.newBuilder(URI.create("https://localhost:" + agent.awaitPort()
                  + "/plugins/calculator/calculate_via_hello"))
              .header("Authorization", "Bearer " + token)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"operation\":\"add\",\"a\":5,\"b\":3}"))
              .timeout(Duration.ofSeconds(30))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), r.body());
    }

    String selector = "{caller=\"CalculatorPlugin\",target=\"HelloPlugin\",method=\"hello\",status=\"OK\"}";
    Awaitility.await("Prometheus has scraped " + CALLS + " calls")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(() -> value("dtac_broker_calls_seconds_count" + selector) == CALLS);
    double sum = value("dtac_broker_calls_seconds_sum" + selector);
    assertTrue(sum > 0, "the calls took time: " + sum + " s");
    double median = value("histogram_quantile(0.5, sum by (le) (dtac_broker_calls_seconds_bucket" + selector + "))");
    assertTrue(median > 0 && median < 30, "the median latency is a duration: " + median + " s");
    assertEquals(1.0, value("dtac_plugin_state{plugin=\"HelloPlugin\",state=\"RUNNING\"}"));

    // The same calls went to the OTLP endpoint as spans.
    Awaitility.await("the agent exported its spans over OTLP").atMost(Duration.ofSeconds(30))
        .until(() -> exported.stream().anyMatch(b -> contains(b, "dtac.broker.call")));
    assertTrue(exported.stream().anyMatch(b -> contains(b, "CalculatorPlugin")));
  }

  @Test
  void theMetricsEndpointListensOnLoopbackOnlyAndServesOnlyGet() throws Exception {
    HttpResponse<String> r = plain.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/metrics"))
            .POST(HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, r.statusCode());
    InetAddress external = externalAddress();
    assumeTrue(external != null, "no non-loopback address on this machine to try");
    assertTrue(!reachable(external, metricsPort), "the metrics port must not be reachable on " + external);
  }

  private static InetAddress externalAddress() throws Exception {
    for (java.net.NetworkInterface ni : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress a : java.util.Collections.list(ni.getInetAddresses())) {
        if (!a.isLoopbackAddress() && a instanceof java.net.Inet4Address) {
          return a;
        }
      }
    }
    return null;
  }

  private static boolean reachable(InetAddress address, int port) {
    try (java.net.Socket s = new java.net.Socket()) {
      s.connect(new InetSocketAddress(address, port), 2000);
      return true;
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private static boolean contains(byte[] haystack, String needle) {
    return new String(haystack, StandardCharsets.ISO_8859_1).contains(needle);
  }

  /** The single value of an instant query, or -1 if it has no result (yet). */
  private static double value(String query) throws Exception {
    HttpResponse<String> r = plain.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + prometheusPort + "/api/v1/query?query="
                + URLEncoder.encode(query, StandardCharsets.UTF_8)))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      return -1;
    }
    JsonNode result = JSON.readTree(r.body()).path("data").path("result");
    if (!result.isArray() || result.isEmpty()) {
      return -1;
    }
    return Double.parseDouble(result.get(0).path("value").get(1).asText());
  }
}
