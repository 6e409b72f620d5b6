package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.StatusCode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metrics and traces of brokered calls across real plugin processes (HelloPlugin, CalculatorPlugin
 * and the test plugin Alpha): a Micrometer {@link SimpleMeterRegistry} counts every call by
 * outcome, refused ones included; OpenTelemetry's in-memory exporter sees one trace for host ->
 * calculator -> broker -> hello, its spans parent and child across three processes, and the audit
 * file carries the trace id.
 */
class ObservabilityIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  private static final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private static OpenTelemetrySdk otel;
  private static PluginBroker broker;
  private static Path auditFile;

  @BeforeAll
  static void start() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp, "hello.plugin", "calculator.plugin");
    Fixtures.testPlugin(plugins, "Alpha");
    otel =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
            .build();
    auditFile = tmp.resolve("audit.jsonl");
    broker =
        PluginBroker.builder()
            .pluginDirectory(plugins)
            .accessPolicy(AccessPolicy.builder().deny("alpha-not-hello", "Alpha", "HelloPlugin", "*").build())
            .auditFile(auditFile)
            .meterRegistry(meters)
            .openTelemetry(otel)
            .build()
            .start();
    for (PluginInfo p : broker.plugins()) {
      assertEquals(PluginState.RUNNING, p.state(), p.toString());
    }
  }

  @AfterAll
  static void stop() {
    broker.close();
    otel.close();
  }

  @BeforeEach
  void clear() {
    spans.reset();
  }

  private static Request calculation() {
    return Request.builder().body("{\"operation\":\"add\",\"a\":2,\"b\":3}").build();
  }

  private static long calls(String caller, String target, String method, String status) {
    Timer t =
        meters.find("dtac.broker.calls")
            .tags("caller", caller, "target", target, "method", method, "status", status)
            .timer();
    return t == null ? 0 : t.count();
  }

  @Test
  void callCountsEqualTheCallsMadeByOutcomeIncludingRefusals() throws Exception {
    long okBefore = calls("agent", "CalculatorPlugin", "calculate_via_hello", "OK");
    long hopBefore = calls("CalculatorPlugin", "HelloPlugin", "hello", "OK");
    long notFoundBefore = calls("agent", "HelloPlugin", "unknown", "NOT_FOUND");
    long deniedBefore = calls("Alpha", "HelloPlugin", "hello", "PERMISSION_DENIED");
    long relayBefore = calls("agent", "Alpha", "relay", "PERMISSION_DENIED");
    double refusalsBefore = refusals();
    double bytesBefore = requestBytes();
    int ok = 7;
    for (int i = 0; i < ok; i++) {
      broker.call("CalculatorPlugin", "calculate_via_hello", Action.CREATE, calculation());
    }
    int notFound = 3;
    for (int i = 0; i < notFound; i++) {
      assertThrows(PluginCallException.class,
          () -> broker.call("HelloPlugin", "no-such-" + System.nanoTime(), Action.READ, Request.empty()));
    }
    int denied = 2;
    for (int i = 0; i < denied; i++) {
      PluginCallException e = assertThrows(PluginCallException.class, () -> broker.call("Alpha", "relay",
          Action.CREATE, Request.builder().body("{\"path\":[\"HelloPlugin\"],\"method\":\"hello\"}").build()));
      assertEquals(StatusCode.PERMISSION_DENIED, e.code(), e.getMessage());
    }

    assertEquals(ok, calls("agent", "CalculatorPlugin", "calculate_via_hello", "OK") - okBefore);
    assertEquals(ok, calls("CalculatorPlugin", "HelloPlugin", "hello", "OK") - hopBefore);
    // A caller-chosen method never becomes a tag: all three share "unknown".
    assertEquals(notFound, calls("agent", "HelloPlugin", "unknown", "NOT_FOUND") - notFoundBefore);
    assertTrue(meters.find("dtac.broker.calls").tagKeys("method").timers().stream()
        .noneMatch(t -> t.getId().getTag("method").startsWith("no-such-")));
    assertEquals(denied, calls("Alpha", "HelloPlugin", "hello", "PERMISSION_DENIED") - deniedBefore);
    assertEquals(denied, refusals() - refusalsBefore);
    // Alpha's own call failed with the denial, and counts as such.
    assertEquals(denied, calls("agent", "Alpha", "relay", "PERMISSION_DENIED") - relayBefore);
    assertEquals(ok * (double) calculation().body().length, requestBytes() - bytesBefore, ok * 64.0,
        "request sizes are the serialized requests: the body and a few bytes of framing");
    assertEquals(0, meters.find("dtac.broker.calls.active").longTaskTimers().stream()
        .mapToInt(t -> t.activeTasks()).sum(), "no call is in flight any more");
  }

  private static double refusals() {
    Counter c = meters.find("dtac.broker.refusals").tags("caller", "Alpha", "rule", "alpha-not-hello").counter();
    return c == null ? 0 : c.count();
  }

  private static double requestBytes() {
    var s = meters.find("dtac.broker.request.size").tags("caller", "agent", "target", "CalculatorPlugin").summary();
    return s == null ? 0 : s.totalAmount();
  }

  @Test
  void pluginStatesRestartsAndConnectionsAreMeasured() throws Exception {
    // A plugin connects to the broker when it first calls it.
    broker.call("CalculatorPlugin", "calculate_via_hello", Action.CREATE, calculation());
    assertEquals(1.0, meters.get("dtac.plugin.state").tags("plugin", "HelloPlugin", "state", "RUNNING").gauge().value());
    assertEquals(0.0, meters.get("dtac.plugin.state").tags("plugin", "HelloPlugin", "state", "FAILED").gauge().value());
    assertTrue(meters.get("dtac.broker.connections").gauge().value() >= 1, "plugins are connected to the broker");
    Counter restarts = meters.find("dtac.plugin.restarts").tags("plugin", "Alpha").counter();
    double before = restarts == null ? 0 : restarts.count();
    assertEquals(PluginState.RUNNING, broker.reload("Alpha").orElseThrow().state());
    assertEquals(before + 1, meters.get("dtac.plugin.restarts").tags("plugin", "Alpha").counter().count());
    assertEquals(1.0, meters.get("dtac.plugin.state").tags("plugin", "Alpha", "state", "RUNNING").gauge().value());
  }

  @Test
  void oneTraceSpansHostCalculatorBrokerAndHello() throws Exception {
    io.opentelemetry.api.trace.Tracer tracer = otel.getTracer("test-gateway");
    Span request = tracer.spanBuilder("GET /plugins/calculator/calculate_via_hello").startSpan();
    try (Scope ignored = request.makeCurrent()) {
      broker.call("CalculatorPlugin", "calculate_via_hello", Action.CREATE, calculation());
    } finally {
      request.end();
    }
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().size() >= 3);
    List<SpanData> all = spans.getFinishedSpanItems();
    Map<String, SpanData> byTarget = all.stream()
        .filter(s -> s.getName().equals("dtac.broker.call"))
        .collect(Collectors.toMap(
            s -> s.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey("dtac.target")), s -> s));
    SpanData toCalculator = byTarget.get("CalculatorPlugin");
    SpanData toHello = byTarget.get("HelloPlugin");
    assertNotNull(toCalculator, all.toString());
    assertNotNull(toHello, all.toString());
    String traceId = request.getSpanContext().getTraceId();
    assertEquals(traceId, toCalculator.getTraceId());
    assertEquals(traceId, toHello.getTraceId(), "the calculator process passed the trace on");
    assertEquals(request.getSpanContext().getSpanId(), toCalculator.getParentSpanId());
    assertEquals(toCalculator.getSpanId(), toHello.getParentSpanId(),
        "the hello call is a child of the calculator call: the trace crossed the calculator process");
    assertEquals("agent", toCalculator.getAttributes().get(
        io.opentelemetry.api.common.AttributeKey.stringKey("dtac.caller")));
    assertEquals("CalculatorPlugin", toHello.getAttributes().get(
        io.opentelemetry.api.common.AttributeKey.stringKey("dtac.caller")));
    assertEquals(0L, toHello.getAttributes().get(
        io.opentelemetry.api.common.AttributeKey.longKey("rpc.grpc.status_code")));

    // The audit records of both hops carry the trace id, and each span the record's call id.
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> auditLines(traceId).size() == 2);
    for (JsonNode record : auditLines(traceId)) {
      SpanData span = byTarget.get(record.get("target").asText());
      assertEquals(record.get("callId").asText(), span.getAttributes().get(
          io.opentelemetry.api.common.AttributeKey.stringKey("dtac.call_id")));
    }
  }

  @Test
  void aCallOutsideAnyTraceStartsOneAndItsAuditRecordNamesIt() throws Exception {
    broker.call("HelloPlugin", "hello", Action.READ, Request.empty());
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !spans.getFinishedSpanItems().isEmpty());
    SpanData span = spans.getFinishedSpanItems().get(0);
    assertEquals(io.opentelemetry.api.trace.SpanId.getInvalid(), span.getParentSpanId());
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> auditLines(span.getTraceId()).size() == 1);
  }

  private static List<JsonNode> auditLines(String traceId) throws Exception {
    return Files.readAllLines(auditFile).stream()
        .map(line -> {
          try {
            return JSON.readTree(line);
          } catch (Exception e) {
            throw new IllegalStateException(line, e);
          }
        })
        .filter(n -> traceId.equals(n.path("traceId").asText()))
        .collect(Collectors.toList());
  }
}
