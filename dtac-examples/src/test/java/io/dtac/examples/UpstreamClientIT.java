package io.dtac.examples;

import static io.dtac.examples.PythonPlugins.audit;
import static io.dtac.examples.PythonPlugins.is;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginState;
import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.testing.PluginTestKit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin that calls the broker exactly as the existing DTAC agent's broker feature does
 * (src/test/python/upstream: its own plugin.proto with upstream's field names, no metadata, no
 * deadline, plaintext unless DTAC_TLS_CERT/KEY are set, no stdin watch), under a real broker with
 * its default settings: the kernel names it, the access policy and the audit trail apply to it
 * under its own name, and the same client run by a process the agent did not launch is refused.
 */
class UpstreamClientIT {
  @RegisterExtension static final PluginTestKit kit = new PluginTestKit();
  @TempDir static Path tmp;
  private static PluginBroker broker;
  private static Path auditFile;
  private static Path upstream;

  @BeforeAll
  static void start() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp, "hello.plugin", "calculator.plugin");
    upstream = PythonPlugins.upstream(plugins, tmp.resolve("upstream-build"));
    auditFile = tmp.resolve("audit.jsonl");
    AccessPolicy policy = AccessPolicy.builder()
        .allow("upstream-reads-hello", "UpstreamPlugin", "HelloPlugin", "read:hello")
        .deny("upstream-keeps-off-calculator", "UpstreamPlugin", "CalculatorPlugin", "*")
        .defaultEffect(AccessPolicy.Effect.ALLOW)
        .build();
    broker = kit.startBroker(PluginBroker.builder().pluginDirectory(plugins).accessPolicy(policy).auditFile(auditFile));
  }

  private static JsonNode relay(String target, String method, String action) throws Exception {
    return Fixtures.value(broker.call("UpstreamPlugin", "relay", Action.READ,
        Fixtures.params("target", target, "method", method, "action", action)));
  }

  @Test
  void anUpstreamClientIsIdentifiedByTheKernelUnderItsOwnName() throws Exception {
    JsonNode answer = relay("HelloPlugin", "hello", "READ");
    assertTrue(answer.get("ok").asBoolean(), answer.toString());
    assertEquals("{\"message\":\"Hello from HelloPlugin\"}", answer.get("value").asText());
    await().atMost(Duration.ofSeconds(10)).until(() ->
        !audit(auditFile, r -> is(r, "UpstreamPlugin", "HelloPlugin", "allow")).isEmpty());
    JsonNode record = audit(auditFile, r -> is(r, "UpstreamPlugin", "HelloPlugin", "allow")).get(0);
    assertEquals("read", record.get("action").asText(), "the action, sent as READ, is the protocol's");
    assertEquals("upstream-reads-hello", record.get("rule").asText());
    assertEquals("OK", record.get("status").asText());
  }

  @Test
  void itsCallsAreSubjectToThePolicyUnderItsOwnName() throws Exception {
    JsonNode answer = relay("CalculatorPlugin", "calculate", "create");
    assertFalse(answer.get("ok").asBoolean(), answer.toString());
    assertEquals("PERMISSION_DENIED", answer.get("code").asText(), answer.toString());
    assertTrue(answer.get("details").asText().startsWith("caller 'UpstreamPlugin' may not call plugin"
        + " 'CalculatorPlugin' endpoint 'create:calculate': denied by rule 'upstream-keeps-off-calculator'"),
        answer.toString());
    await().atMost(Duration.ofSeconds(10)).until(() ->
        !audit(auditFile, r -> is(r, "UpstreamPlugin", "CalculatorPlugin", "deny")).isEmpty());
    assertEquals(List.of(), audit(auditFile, r -> r.path("target").asText().equals("CalculatorPlugin")
        && r.path("decision").asText().equals("allow")), "the calculator was not reached");
  }

  @Test
  void listPluginsAnswersInTheUpstreamFieldNumbers() throws Exception {
    JsonNode names = Fixtures.value(broker.call("UpstreamPlugin", "list", Action.READ, Request.empty()))
        .get("plugin_names");
    assertTrue(names.toString().contains("\"HelloPlugin\""), names.toString());
    assertFalse(names.toString().contains("\"CalculatorPlugin\""), "the policy hides what it may not call: " + names);
  }

  @Test
  void theDefaultsHandItNoTlsMaterialAndATcpBrokerAddress() throws Exception {
    JsonNode env = Fixtures.value(broker.call("UpstreamPlugin", "env", Action.READ, Request.empty()));
    assertFalse(env.get("tls_material").asBoolean(), env.toString());
    assertEquals(broker.brokerAddress(), env.get("broker_address").asText(), "it announced tcp: no unix: address");
  }

  @Test
  void theSameClientInAProcessTheAgentDidNotLaunchIsRefusedAndAudited() throws Exception {
    int helloCallsBefore = audit(auditFile, r -> r.path("target").asText().equals("HelloPlugin")).size();
    Process p = new ProcessBuilder(upstream.toString(), "--call", broker.brokerAddress(), "HelloPlugin", "hello", "read")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
    JsonNode answer = Fixtures.JSON.readTree(out);
    assertEquals("UNAUTHENTICATED", answer.get("code").asText(), out);
    assertTrue(answer.get("details").asText().contains("is not a plugin this agent launched"), out);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        !audit(auditFile, r -> r.path("caller").asText().equals("unauthenticated")
            && r.path("rule").asText().equals("authentication")).isEmpty());
    assertEquals(helloCallsBefore, audit(auditFile, r -> r.path("target").asText().equals("HelloPlugin")).size(),
        "hello was not reached");
  }

  @Test
  void withTlsOnItIsHostedButItsBrokerClientCannotVerifyTheAgent() throws Exception {
    Path plugins = Files.createDirectories(tmp.resolve("tls-plugins"));
    Files.copy(upstream, plugins.resolve("upstream.plugin"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    PluginBroker tls = kit.startBroker(PluginBroker.builder().pluginDirectory(plugins).tls(true));
    assertEquals(PluginState.RUNNING, tls.plugin("UpstreamPlugin").orElseThrow().state());
    JsonNode env = Fixtures.value(tls.call("UpstreamPlugin", "env", Action.READ, Request.empty()));
    assertTrue(env.get("tls_material").asBoolean(), "served over TLS, the agent pinning its certificate");
    JsonNode answer = Fixtures.value(tls.call("UpstreamPlugin", "relay", Action.READ,
        Fixtures.params("target", "UpstreamPlugin", "method", "env", "action", "read")));
    assertEquals("UNAVAILABLE", answer.get("code").asText(), "its TLS handshake with the broker fails: " + answer);
  }
}
