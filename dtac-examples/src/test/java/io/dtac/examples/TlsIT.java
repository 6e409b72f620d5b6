package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encrypted hops with real plugin processes: plugins that know the run's CA talk mutual TLS both
 * ways; plugins that only know the DTAC protocol's DTAC_TLS_CERT/KEY still load; a plugin that
 * ignores its certificate is refused; and tls(false) turns it all off.
 */
class TlsIT {
  @TempDir Path dir;

  private static PluginInfo plugin(PluginBroker broker, String fileName) {
    return broker.plugins().stream()
        .filter(p -> p.file() != null && p.file().getFileName().toString().equals(fileName))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no plugin from " + fileName + ": " + broker.plugins()));
  }

  @Test
  void legacyPluginsLoadAndPluginsIgnoringTheirCertificateAreRefused() throws Exception {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    ExamplePlugins.probe(plugins, "probe-a.plugin", "ProbeA", "");
    // Knows only the DTAC protocol's DTAC_TLS_CERT/KEY: serves TLS, no client certificates.
    ExamplePlugins.probe(plugins, "legacy.plugin", "Legacy", "unset DTAC_TLS_CA");
    // Ignores TLS altogether: serves plaintext although it was given a certificate.
    ExamplePlugins.probe(plugins, "plain.plugin", "Plain", "unset DTAC_TLS_CA DTAC_TLS_CERT DTAC_TLS_KEY");
    try (PluginBroker broker = PluginBroker.builder()
        .pluginDirectory(plugins)
        .handshakeTimeout(Duration.ofSeconds(30))
        .tls(true)
        .build()
        .start()) {
      assertEquals(PluginState.RUNNING, plugin(broker, "probe-a.plugin").state());

      PluginInfo plain = plugin(broker, "plain.plugin");
      assertEquals(PluginState.FAILED, plain.state());
      assertTrue(plain.failure().orElseThrow().startsWith("it serves plaintext (tls=false), although the"
          + " broker gave it a TLS certificate"), plain.failure().orElseThrow());

      PluginInfo legacy = plugin(broker, "legacy.plugin");
      assertEquals(PluginState.RUNNING, legacy.state(), legacy.toString());
      assertEquals("agent",
          IdentityIT.hostCall(broker, "Legacy", "echo", "read", Map.of()).get("caller").asText(),
          "the agent reaches a legacy plugin over TLS");
      JsonNode out = IdentityIT.hostCall(broker, "Legacy", "call", "create",
          Map.of("target", "ProbeA", "method", "echo", "action", "read"));
      assertFalse(out.get("ok").asBoolean());
      assertEquals("UNAVAILABLE", out.get("code").asText(), "without a client certificate it cannot reach the broker: " + out);

      JsonNode ok = IdentityIT.hostCall(broker, "ProbeA", "call", "create",
          Map.of("target", "Legacy", "method", "echo", "action", "read"));
      assertTrue(ok.get("ok").asBoolean(), "other plugins still call it: " + ok);
    }
  }

  @Test
  void tlsOffRunsEverythingInPlaintext() throws Exception {
    Path plugins = ExamplePlugins.copyTo(dir, "hello.plugin", "calculator.plugin");
    ExamplePlugins.probe(plugins, "probe-a.plugin", "ProbeA", "");
    try (PluginBroker broker = PluginBroker.builder()
        .pluginDirectory(plugins)
        .handshakeTimeout(Duration.ofSeconds(30))
        .tls(false)
        .build()
        .start()) {
      broker.plugins().forEach(p -> assertEquals(PluginState.RUNNING, p.state(), p.toString()));
      assertTrue(broker.tlsAuthorityCertificate().isEmpty());
      JsonNode id = IdentityIT.hostCall(broker, "ProbeA", "identity", "read", Map.of());
      assertTrue(id.get("cert").isNull() && id.get("key").isNull() && id.get("ca").isNull(), id.toString());
      assertTrue(id.get("credential").isNull(), "the kernel says who calls: no credential " + id);
      JsonNode r = IdentityIT.hostCall(broker, "ProbeA", "call", "create",
          Map.of("target", "HelloPlugin", "method", "hello", "action", "read"));
      assertTrue(r.get("ok").asBoolean(), r.toString());
      JsonNode calc = IdentityIT.hostCall(broker, "CalculatorPlugin", "calculate_via_hello", "create",
          Map.of("operation", "add", "a", 5, "b", 3));
      assertEquals(8, calc.get("result").asInt());
    }
  }
}
