package io.dtac.examples.agent;

import com.sun.net.httpserver.HttpServer;
import io.dtac.broker.server.PluginBrokerBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example agent's metrics and traces. Metrics: when {@code metrics_port} is configured, a
 * Prometheus registry measures the broker and {@code GET /metrics} serves it in the Prometheus
 * text format on 127.0.0.1 only, over plain HTTP, without a token — on a port of its own so that
 * a Prometheus server scrapes it without holding the gateway's admin token, and so that it is not
 * reachable from other machines. Traces: when the standard OpenTelemetry variables name an OTLP
 * endpoint ({@code OTEL_EXPORTER_OTLP_ENDPOINT} or {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}),
 * the OpenTelemetry SDK is configured from them (autoconfigure) and the broker and the gateway
 * trace every call; otherwise nothing is traced or exported.
 */
final class AgentObservability implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AgentObservability.class);
  /** Scrapes are small and rare: one thread serves them, on loopback only. */
  private static final int METRICS_THREADS = 1;

  private final PrometheusMeterRegistry registry;
  private final OpenTelemetrySdk openTelemetry;
  private final OptionalInt metricsPort;
  private ExecutorService metricsExecutor;
  private HttpServer metricsServer;

  private AgentObservability(OptionalInt metricsPort, OpenTelemetrySdk openTelemetry) {
    this.metricsPort = metricsPort;
    this.registry = metricsPort.isPresent() ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : null;
    this.openTelemetry = openTelemetry;
  }

  /**
   * What the configuration and environment ask for.
   *
   * @param env the agent's environment: tracing is on when it names an OTLP endpoint
   */
  static AgentObservability of(AgentConfig config, Map<String, String> env) {
    boolean traced =
        env.containsKey("OTEL_EXPORTER_OTLP_ENDPOINT") || env.containsKey("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    OpenTelemetrySdk otel =
        traced
            ? AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> Map.of("otel.metrics.exporter", "none", "otel.logs.exporter", "none"))
                .build()
                .getOpenTelemetrySdk()
            : null;
    return new AgentObservability(config.metricsPort(), otel);
  }

  /** Hands the registry and the OpenTelemetry, where configured, to the broker. */
  void configure(PluginBrokerBuilder broker) {
    if (registry != null) {
      broker.meterRegistry(registry);
    }
    if (openTelemetry != null) {
      broker.openTelemetry(openTelemetry);
    }
  }

  /** What the gateway traces requests with: the configured SDK, or the no-op one. */
  OpenTelemetry openTelemetry() {
    return openTelemetry != null ? openTelemetry : OpenTelemetry.noop();
  }

  /**
   * Starts {@code GET /metrics} on 127.0.0.1 if configured.
   *
   * @throws IOException if the port cannot be bound
   */
  void start() throws IOException {
    if (registry == null) {
      return;
    }
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), metricsPort.getAsInt()), 16);
    server.createContext("/metrics", exchange -> {
      try (exchange) {
        if (!"GET".equals(exchange.getRequestMethod())) {
          exchange.getResponseHeaders().set("Allow", "GET");
          exchange.sendResponseHeaders(405, -1);
          return;
        }
        byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(body);
        }
      }
    });
    metricsExecutor = Executors.newFixedThreadPool(METRICS_THREADS, r -> {
      Thread t = new Thread(r, "dtac-metrics");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(metricsExecutor);
    server.start();
    metricsServer = server;
    LOG.info("metrics on http://127.0.0.1:{}/metrics", metricsPort());
  }

  /** The metrics endpoint's port; -1 when there is none. */
  int metricsPort() {
    return metricsServer == null ? -1 : metricsServer.getAddress().getPort();
  }

  /** Stops the metrics endpoint and flushes and closes the tracer (exporting what is pending). */
  @Override
  public void close() {
    if (metricsServer != null) {
      metricsServer.stop(0);
      metricsExecutor.shutdownNow();
    }
    if (openTelemetry != null) {
      openTelemetry.close();
    }
  }
}
