package io.dtac.examples;

import io.dtac.core.Protocol;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks with the TLS material a plugin holds, by real plugin processes over real TLS: a
 * plugin's certificate opens no sibling's server, cannot act as the agent towards a sibling, and
 * is worthless once its process has stopped or restarted; the agent talks to a plugin only with
 * the certificate it issued to that launch. Each test asserts the refusal, that the target was
 * not reached, and for the broker's refusals the audit record.
 */
class TlsPinningIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static Path audit;
  private static PluginBroker broker;

  @BeforeAll
  static void start() throws Exception {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    ExamplePlugins.probe(plugins, "probe-a.plugin", "ProbeA", "");
    ExamplePlugins.probe(plugins, "probe-b.plugin", "ProbeB", "");
    ExamplePlugins.probe(plugins, "probe-c.plugin", "ProbeC", "");
    audit = dir.resolve("audit.jsonl");
    broker = PluginBroker.builder()
        .pluginDirectory(plugins)
        .tls(true)
        .auditFile(audit)
        .handshakeTimeout(Duration.ofSeconds(30))
        .build()
        .start();
    broker.plugins().forEach(p -> assertEquals(PluginState.RUNNING, p.state(), p.toString()));
  }

  @AfterAll
  static void stop() {
    if (broker != null) {
      broker.close();
    }
  }

  private static JsonNode call(String plugin, String method, String action, Object body) throws Exception {
    return IdentityIT.hostCall(broker, plugin, method, action, body);
  }

  private static JsonNode identity(String plugin) throws Exception {
    return call(plugin, "identity", "read", Map.of());
  }

  private static int touches(String plugin) throws Exception {
    return call(plugin, "touches", "read", Map.of()).get("touches").asInt();
  }

  /** Where {@code plugin}'s own gRPC server listens: its Unix socket in the offered directory. */
  private static String serverOf(String plugin) throws Exception {
    JsonNode id = identity(plugin);
    assertFalse(id.get("socketDir").isNull(), "these attacks find a sibling by its Unix socket: " + id);
    return Protocol.UNIX_ADDRESS_PREFIX + Path.of(id.get("socketDir").asText()).resolve(Protocol.pluginSocket(id.get("pid").asLong()));
  }

  @Test
  void aSiblingsCertificateDoesNotOpenAPluginsOwnServer() throws Exception {
    int before = touches("ProbeB");
    JsonNode r = call("ProbeA", "dial", "create",
        Map.of("target", serverOf("ProbeB"), "rpc", "call", "method", "create:touch"));
    assertFalse(r.get("ok").asBoolean(), "ProbeA reached ProbeB's endpoint past the broker: " + r);
    assertEquals("UNAVAILABLE", r.get("code").asText(), "refused at the TLS handshake: " + r);
    assertEquals(before, touches("ProbeB"), "the endpoint was not reached");
    JsonNode brokered = call("ProbeA", "call", "create",
        Map.of("target", "ProbeB", "method", "touch", "action", "create"));
    assertTrue(brokered.get("ok").asBoolean(), brokered.toString());
    assertEquals(before + 1, touches("ProbeB"), "through the broker the same call goes through");
  }

  @Test
  void aPluginCertificateCannotRegisterASiblingAsTheAgent() throws Exception {
    String brokerAddressBefore = identity("ProbeB").get("brokerAddress").asText();
    JsonNode r = call("ProbeA", "dial", "create",
        Map.of("target", serverOf("ProbeB"), "rpc", "register", "brokerAddress", "127.0.0.1:1"));
    assertFalse(r.get("ok").asBoolean(), "ProbeA re-registered ProbeB: " + r);
    assertEquals("UNAVAILABLE", r.get("code").asText(), r.toString());
    assertEquals(brokerAddressBefore, identity("ProbeB").get("brokerAddress").asText(),
        "ProbeB still talks to the real broker");
    assertTrue(call("ProbeB", "call", "create",
        Map.of("target", "ProbeA", "method", "echo", "action", "read")).get("ok").asBoolean());
  }

  @Test
  void aPluginCertificateCannotPoseAsTheBrokerToASibling() throws Exception {
    String fake = call("ProbeA", "fake-broker", "create", Map.of()).get("address").asText();
    JsonNode r = call("ProbeB", "call", "create",
        Map.of("target", "ProbeA", "method", "echo", "action", "read", "broker", fake));
    assertFalse(r.get("ok").asBoolean(), "ProbeB accepted ProbeA's certificate as the broker's: " + r);
    assertEquals("UNAVAILABLE", r.get("code").asText(), r.toString());
    JsonNode seen = call("ProbeA", "fake-broker-seen", "read", Map.of());
    assertEquals(0, seen.get("calls").asInt(), "no call reached the fake broker: " + seen);
    assertEquals(0, seen.get("credentials").asInt(), "no credential leaked to it: " + seen);
  }

  @Test
  void certificatesOfARestartedCrashedOrStoppedProcessAreWorthless() throws Exception {
    JsonNode first = identity("ProbeC");
    PluginInfo restarted = broker.reload("ProbeC").orElseThrow();
    assertEquals(PluginState.RUNNING, restarted.state(), restarted.toString());
    assertBrokerRefuses(first, "a certificate of ProbeC's previous process");
    assertTrue(call("ProbeC", "call", "create",
        Map.of("target", "ProbeB", "method", "echo", "action", "read")).get("ok").asBoolean(),
        "the new process's certificate works");

    JsonNode second = identity("ProbeC");
    long pid = second.get("pid").asLong();
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    await().atMost(Duration.ofSeconds(30)).until(() ->
        broker.plugin("ProbeC").filter(p -> p.state() == PluginState.RUNNING && p.pid().orElse(pid) != pid).isPresent());
    assertBrokerRefuses(second, "a certificate of ProbeC's crashed process");

    JsonNode third = identity("ProbeC");
    assertEquals(PluginState.STOPPED, broker.unload("ProbeC").orElseThrow().state());
    assertBrokerRefuses(third, "a certificate of the stopped ProbeC");
    int before = touches("ProbeB");
    JsonNode dial = call("ProbeA", "dial", "create",
        Map.of("target", serverOf("ProbeB"), "rpc", "call", "method", "create:touch",
            "cert", third.get("cert").asText(), "key", third.get("key").asText()));
    assertFalse(dial.get("ok").asBoolean(), "a live plugin accepted the stopped ProbeC's certificate: " + dial);
    assertEquals("UNAVAILABLE", dial.get("code").asText(), dial.toString());
    assertEquals(before, touches("ProbeB"));
  }

  @Test
  void aLiveSiblingsCertificateAndKeyDoNotMakeTheCallerThatSibling() throws Exception {
    // Same-user processes can read each other's environment, TLS key included; the kernel still
    // names ProbeA as the caller, and the certificate must be ProbeA's own.
    assertBrokerRefuses(identity("ProbeB"), "ProbeB's live certificate presented by ProbeA");
  }

  /** ProbeA calls ProbeB through the broker presenting {@code dead}'s certificate: refused and audited. */
  private static void assertBrokerRefuses(JsonNode dead, String what) throws Exception {
    int before = touches("ProbeB");
    int refusals = unauthenticatedRecords().size();
    JsonNode r = call("ProbeA", "call", "create",
        Map.of("target", "ProbeB", "method", "touch", "action", "create",
            "cert", dead.get("cert").asText(), "key", dead.get("key").asText()));
    assertFalse(r.get("ok").asBoolean(), "the broker accepted " + what + ": " + r);
    assertEquals("UNAUTHENTICATED", r.get("code").asText(), r.toString());
    assertTrue(r.get("message").asText().contains("certificate"), r.toString());
    assertEquals(before, touches("ProbeB"), "the target was not reached");
    await().atMost(Duration.ofSeconds(10)).until(() -> unauthenticatedRecords().size() == refusals + 1);
    JsonNode record = unauthenticatedRecords().get(refusals);
    assertEquals("deny", record.get("decision").asText(), record.toString());
    assertNotEquals("ProbeC", record.get("caller").asText(), "the dead certificate's owner is not the caller");
  }

  private static List<JsonNode> unauthenticatedRecords() throws Exception {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(audit)) {
      return out;
    }
    for (String line : Files.readAllLines(audit)) {
      if (!line.isBlank()) {
        JsonNode r = JSON.readTree(line);
        if ("UNAUTHENTICATED".equals(r.get("status").asText())) {
          out.add(r);
        }
      }
    }
    return out;
  }

  @Test
  void theAgentRefusesAPluginServingAnotherLaunchsCertificate() throws Exception {
    JsonNode b = identity("ProbeB");
    Path cert = Files.writeString(dir.resolve("stolen-cert.pem"), b.get("cert").asText());
    Path key = Files.writeString(dir.resolve("stolen-key.pem"), b.get("key").asText());
    Path impostor = ExamplePlugins.probe(Files.createDirectories(dir.resolve("impostor")),
        "impostor.plugin", "Impostor", "export DTAC_TLS_CERT=" + cert + " DTAC_TLS_KEY=" + key);
    PluginInfo loaded = broker.load(impostor);
    assertEquals(PluginState.FAILED, loaded.state(), "the agent talked to a plugin serving ProbeB's certificate");
    assertTrue(loaded.failure().orElseThrow().startsWith("Register failed: UNAVAILABLE"),
        loaded.failure().orElseThrow());
  }

  @Test
  void certificatesNameOnePluginInOneRoleAndAreShortLived() throws Exception {
    JsonNode a = identity("ProbeA");
    X509Certificate plugin = certificate(a.get("cert").asText());
    String subject = plugin.getSubjectX500Principal().getName();
    assertTrue(subject.contains("CN=probe-a") && subject.contains("OU=plugin"), subject);
    assertTrue(plugin.getNotAfter().getTime() - plugin.getNotBefore().getTime()
        <= Duration.ofHours(24).plusMinutes(5).toMillis(), plugin.toString());
    X509Certificate agent = certificate(a.get("ca").asText());
    assertTrue(agent.getSubjectX500Principal().getName().contains("OU=agent"), agent.toString());
    assertEquals(-1, agent.getBasicConstraints(), "DTAC_TLS_CA is the agent's own certificate, not a CA");
  }

  private static X509Certificate certificate(String pem) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
  }
}
