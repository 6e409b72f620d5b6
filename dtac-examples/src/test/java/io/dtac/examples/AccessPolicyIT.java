package io.dtac.examples;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginState;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may call whom, with real plugin processes and the example policy file, plus the audit
 * trail those calls leave, and a scan of every log line for secrets.
 */
class AccessPolicyIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PROBE_RULES = String.join("\n",
      "  - id: probes-keep-off-calculator",
      "    caller: \"Probe*\"",
      "    target: CalculatorPlugin",
      "    effect: deny",
      "  - id: probes-read",
      "    caller: \"Probe*\"",
      "    target: \"*\"",
      "    operation: \"read:*\"",
      "    effect: allow",
      "");

  @TempDir static Path dir;
  private static Path policyFile;
  private static Path auditFile;
  private static String basePolicy;
  private static PluginBroker broker;
  private static PrintStream originalErr;
  private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();

  @BeforeAll
  static void start() throws Exception {
    originalErr = System.err;
    System.setErr(new PrintStream(new Tee(originalErr, LOG), true, StandardCharsets.UTF_8));
    Path plugins = ExamplePlugins.copyTo(dir, "hello.plugin", "calculator.plugin");
    ExamplePlugins.probe(plugins, "probe-a.plugin", "ProbeA", "");
    basePolicy = Files.readString(Path.of("src/main/config/access-policy.yaml")) + PROBE_RULES;
    policyFile = dir.resolve("access-policy.yaml");
    Files.writeString(policyFile, basePolicy);
    auditFile = dir.resolve("audit.jsonl");
    broker =
        PluginBroker.builder()
            .pluginDirectory(plugins)
            .handshakeTimeout(Duration.ofSeconds(30))
            .accessPolicyFile(policyFile)
            .auditFile(auditFile)
            // TLS too, so that there are private keys for the log test to look for.
            .tls(true)
            .build()
            .start();
    broker.plugins().forEach(p -> assertEquals(PluginState.RUNNING, p.state(), p.toString()));
  }

  @AfterAll
  static void stop() {
    try {
      if (broker != null) {
        broker.close();
      }
    } finally {
      System.setErr(originalErr);
    }
  }

  @BeforeEach
  void restoreTheBasePolicy() throws Exception {
    replace(basePolicy);
    broker.reloadAccessPolicy();
  }

  /** Replaces the policy file as deployment tools do: write aside, rename over. */
  private static void replace(String content) throws Exception {
    Path tmp = Files.createTempFile(dir, "policy", ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, policyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static JsonNode probeCall(String target, String action, String method) throws Exception {
    return IdentityIT.hostCall(broker, "ProbeA", "call", "create",
        Map.of("target", target, "method", method, "action", action));
  }

  private static String denial(String target, String action, String method) throws Exception {
    JsonNode r = probeCall(target, action, method);
    assertFalse(r.get("ok").asBoolean(), r.toString());
    assertEquals("PERMISSION_DENIED", r.get("code").asText(), r.toString());
    return r.get("message").asText().replaceFirst("^PERMISSION_DENIED: ", "");
  }

  private static List<JsonNode> auditRecords() throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(auditFile)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  @Test
  void examplePolicyLetsTheCalculatorCallHello() throws Exception {
    JsonNode r = IdentityIT.hostCall(broker, "CalculatorPlugin", "calculate_via_hello", "create",
        Map.of("operation", "add", "a", 5, "b", 3));
    assertEquals(8, r.get("result").asInt());
    await().atMost(Duration.ofSeconds(10)).until(() -> auditRecords().stream().anyMatch(a ->
        a.get("caller").asText().equals("CalculatorPlugin")
            && a.get("target").asText().equals("HelloPlugin")
            && a.get("rule").asText().equals("calculator-reads-hello")
            && a.get("status").asText().equals("OK")));
  }

  @Test
  void wildcardRuleAllowsReadsFromEveryProbe() throws Exception {
    assertTrue(probeCall("HelloPlugin", "read", "hello").get("ok").asBoolean());
    assertAllowedSelfCall(probeCall("ProbeA", "read", "echo"));
  }

  /** The policy allows it; the broker then refuses a plugin calling itself, as a call cycle. */
  private static void assertAllowedSelfCall(JsonNode r) {
    assertEquals("FAILED_PRECONDITION", r.get("code").asText(), r.toString());
  }

  @Test
  void denyRuleBeforeABroaderAllowWinsAndIsNamed() throws Exception {
    assertEquals(
        "caller 'ProbeA' may not call plugin 'CalculatorPlugin' endpoint 'create:calculate': denied"
            + " by rule 'probes-keep-off-calculator' (rule 2 of " + policyFile + ")",
        denial("CalculatorPlugin", "create", "calculate"));
  }

  @Test
  void callNoRuleAllowsIsDeniedByTheDefault() throws Exception {
    assertEquals(
        "caller 'ProbeA' may not call plugin 'ProbeA' endpoint 'create:call': denied by the default"
            + " effect (deny) of " + policyFile + ", as no rule matches",
        denial("ProbeA", "create", "call"));
  }

  @Test
  void listPluginsShowsAPluginOnlyWhatItMayCall() throws Exception {
    JsonNode r = IdentityIT.hostCall(broker, "ProbeA", "list", "create", Map.of());
    assertTrue(r.get("ok").asBoolean(), r.toString());
    TreeSet<String> seen = new TreeSet<>();
    r.get("plugins").forEach(n -> seen.add(n.asText()));
    assertEquals(new TreeSet<>(List.of("HelloPlugin", "ProbeA")), seen);
    assertEquals(3, broker.plugins().size(), "the host sees every plugin");
  }

  @Test
  void changedPolicyFileTakesEffectWithoutRestart() throws Exception {
    assertTrue(probeCall("HelloPlugin", "read", "hello").get("ok").asBoolean());
    replace(basePolicy.replace("operation: \"read:*\"", "operation: \"read:echo\""));
    await().atMost(Duration.ofSeconds(10))
        .until(() -> !probeCall("HelloPlugin", "read", "hello").get("ok").asBoolean());
    assertTrue(denial("HelloPlugin", "read", "hello").contains("default effect (deny)"));
    assertAllowedSelfCall(probeCall("ProbeA", "read", "echo"));
  }

  @Test
  void explicitReloadTakesEffectAtOnce() throws Exception {
    Files.writeString(policyFile,
        basePolicy.replace("caller: \"Probe*\"\n    target: \"*\"", "caller: \"Nobody\"\n    target: \"*\""));
    AccessPolicy now = broker.reloadAccessPolicy();
    assertEquals("Nobody", now.rules().get(2).caller());
    assertTrue(denial("HelloPlugin", "read", "hello").contains("default effect (deny)"));
  }

  @Test
  void invalidPolicyFileIsRefusedAndThePreviousPolicyStays() throws Exception {
    AccessPolicy before = broker.accessPolicy();
    Files.writeString(policyFile, basePolicy.replace("effect: allow", "effect: alow"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, broker::reloadAccessPolicy);
    assertTrue(e.getMessage().contains("rule 1 ('calculator-reads-hello'): effect must be 'allow' or 'deny', got \"alow\""),
        e.getMessage());
    assertEquals(before, broker.accessPolicy());
    assertTrue(probeCall("HelloPlugin", "read", "hello").get("ok").asBoolean());
  }

  @Test
  void noPrivateKeyReachesAnyLogOrTheAuditFile() throws Exception {
    JsonNode id = IdentityIT.hostCall(broker, "ProbeA", "identity", "read", Map.of());
    assertTrue(id.get("credential").isNull(), "the kernel says who calls: there is no credential " + id);
    String secret = id.get("key").asText().split("\n")[1];
    assertTrue(probeCall("HelloPlugin", "read", "hello").get("ok").asBoolean());
    await().atMost(Duration.ofSeconds(10)).until(() -> auditRecords().stream().anyMatch(a ->
        a.get("caller").asText().equals("ProbeA") && a.get("target").asText().equals("HelloPlugin")));
    String log = LOG.toString(StandardCharsets.UTF_8);
    assertTrue(log.contains(" dtac.audit - {\"time\""), "audit records reach the dtac.audit logger");
    String audit = Files.readString(auditFile);
    assertTrue(secret.length() > 20);
    assertFalse(log.contains(secret), "a private key appears in the log");
    assertFalse(audit.contains(secret), "a private key appears in the audit file");
    assertFalse(log.contains("PRIVATE KEY"));
  }

  /** Copies everything written to System.err into a buffer as well. */
  private static final class Tee extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    Tee(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int c) throws java.io.IOException {
      a.write(c);
      synchronized (b) {
        b.write(c);
      }
    }

    @Override
    public void write(byte[] buf, int off, int len) throws java.io.IOException {
      a.write(buf, off, len);
      synchronized (b) {
        b.write(buf, off, len);
      }
    }

    @Override
    public void flush() throws java.io.IOException {
      a.flush();
    }
  }
}
