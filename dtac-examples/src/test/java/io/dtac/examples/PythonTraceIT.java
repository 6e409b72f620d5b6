package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.dtac.broker.server.PluginBroker;
import io.dtac.core.Action;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chain through a plugin in another language is one trace: the Python WordCountPlugin (written
 * from docs/PROTOCOL.md, no OpenTelemetry library) copies the {@code traceparent} of the call it
 * serves onto its {@code CallPlugin} to HelloPlugin, so the broker's span of that call is a child of
 * the span of the call to WordCountPlugin. Real processes: the Python plugin and the Java hello plugin.
 */
class PythonTraceIT {
  @TempDir Path tmp;

  @Test
  void theCallThroughThePythonPluginIsOneTrace() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp, "hello.plugin");
    PythonPlugins.wordCount(plugins);
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    try (OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
            .build();
        PluginBroker broker = PluginBroker.builder().pluginDirectory(plugins).openTelemetry(otel).build().start()) {
      broker.call("WordCountPlugin", "count", Action.CREATE, Fixtures.json(Map.of("text", "one two")));
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().size() >= 2);
      Map<String, SpanData> byTarget = spans.getFinishedSpanItems().stream()
          .filter(s -> s.getName().equals("dtac.broker.call"))
          .collect(Collectors.toMap(s -> s.getAttributes().get(AttributeKey.stringKey("dtac.target")), s -> s));
      SpanData toWordCount = byTarget.get("WordCountPlugin");
      SpanData toHello = byTarget.get("HelloPlugin");
      List<SpanData> all = spans.getFinishedSpanItems();
      assertNotNull(toWordCount, all.toString());
      assertNotNull(toHello, all.toString());
      assertEquals("WordCountPlugin", toHello.getAttributes().get(AttributeKey.stringKey("dtac.caller")));
      assertEquals(toWordCount.getTraceId(), toHello.getTraceId(), "the Python plugin passed the trace on");
      assertEquals(toWordCount.getSpanId(), toHello.getParentSpanId(),
          "the hello call is a child of the call the Python plugin served");
    }
  }
}
