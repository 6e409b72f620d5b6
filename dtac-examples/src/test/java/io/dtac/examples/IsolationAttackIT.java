package io.dtac.examples;

import io.dtac.core.Protocol;
import io.dtac.core.Action;
import io.dtac.core.Request;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The attack suite of the isolation guarantees: a malicious plugin ({@link AttackerPlugin}),
 * launched by a real broker as the same OS user next to the real hello and calculator plugins,
 * tries to reach, re-register, eavesdrop on and impersonate them without the broker. Every test
 * asserts the refusal, that the target was not reached, and the audit record. Run over the
 * default transport (Unix sockets) and over loopback TCP.
 */
class IsolationAttackIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** What a plugin's environment may hold: the allow-list, the protocol's variables, and PWD (its shell's). */
  private static final Set<String> ALLOWED =
      Set.of("PATH", "LANG", "LANGUAGE", "TZ", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR", "JAVA_HOME", "TERM",
          "PWD", Protocol.ENV_PLUGIN_JAVA_OPTS, Protocol.ENV_PLUGINS, Protocol.ENV_WATCH_STDIN, Protocol.ENV_AGENT_PID, Protocol.ENV_UNIX_SOCKET_DIR);

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class OverUnixSockets extends Attacks {
    OverUnixSockets() {
      super(true);
    }

    @Test
    void theAgentRefusesToTalkToASocketServedByAnotherProcessThanThePlugin() throws Exception {
      var thief = broker.plugin("Thief").orElseThrow();
      assertEquals(PluginState.FAILED, thief.state(), thief.toString());
      assertTrue(thief.failure().orElseThrow().contains("not by the plugin process")
          && thief.failure().orElseThrow().contains("refusing to talk to it"), thief.toString());
    }
  }

  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class OverLoopbackTcp extends Attacks {
    OverLoopbackTcp() {
      super(false);
    }
  }

  abstract static class Attacks {
    private final boolean unix;
    private Path dir;
    PluginBroker broker;
    private Path audit;

    Attacks(boolean unix) {
      this.unix = unix;
    }

    @BeforeAll
    void start() throws Exception {
      dir = Files.createTempDirectory("dtac-attack-");
      Path plugins = ExamplePlugins.copyTo(dir, "hello.plugin", "calculator.plugin");
      ExamplePlugins.script(plugins, "attacker.plugin",
          "exec " + Fixtures.javaCommand(AttackerPlugin.class.getName(), "Attacker"));
      if (unix) {
        // Announces a sibling's socket as its own, hoping the agent talks to the sibling as it.
        ExamplePlugins.script(plugins, "thief.plugin", String.join("\n",
            "while :; do",
            "  for s in \"$DTAC_UNIX_SOCKET_DIR\"/p*.sock; do",
            "    [ -S \"$s\" ] && echo \"CONNECT{{Thief:thief:grpc:unix:$s:0:plug_api_1.0:[tls=false]}}\" && exec sleep 60",
            "  done",
            "  sleep 0.05",
            "done"));
      }
      audit = dir.resolve("audit.jsonl");
      broker = PluginBroker.builder()
          .pluginDirectory(plugins)
          .unixSockets(unix)
          .auditFile(audit)
          .accessPolicy(AccessPolicy.builder()
              .defaultEffect(AccessPolicy.Effect.DENY)
              .allow("calculator-reads-hello", "CalculatorPlugin", "HelloPlugin", "read:hello")
              .build())
          .build()
          .start();
      broker.plugins().stream().filter(p -> !p.name().equals("Thief"))
          .forEach(p -> assertEquals(PluginState.RUNNING, p.state(), p.toString()));
    }

    @AfterAll
    void stop() throws Exception {
      if (broker != null) {
        broker.close();
      }
      try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    private JsonNode attack(Map<String, Object> body) throws Exception {
      Request request =
          Request.builder().body(JSON.writeValueAsBytes(body)).build();
      return JSON.readTree(broker.call("Attacker", "attack", Action.CREATE, request, Duration.ofSeconds(60))
          .value());
    }

    private long pid(String plugin) {
      return Fixtures.pid(broker, plugin);
    }

    private String transport() throws Exception {
      return unix ? "unix" : "tcp";
    }

    /** Audit records, once a host call made now has been written (so earlier ones are too). */
    private List<JsonNode> auditUpToNow() throws Exception {
      broker.call("HelloPlugin", "hello", Action.READ, Request.empty());
      List<JsonNode> records = new ArrayList<>();
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        records.clear();
        for (String line : Files.readAllLines(audit)) {
          records.add(JSON.readTree(line));
        }
        return !records.isEmpty() && records.get(records.size() - 1).get("target").asText().equals("HelloPlugin")
            && records.get(records.size() - 1).get("caller").asText().equals("agent");
      });
      return records;
    }

    private static long count(List<JsonNode> records, Predicate<JsonNode> p) {
      return records.stream().filter(p).count();
    }

    private static Predicate<JsonNode> from(String caller, String target) throws Exception {
      return r -> r.get("caller").asText().equals(caller) && r.get("target").asText().equals(target);
    }

    @Test
    void aPluginsEnvironmentHoldsNoSecretOfTheAgentOrOfAnotherPlugin() throws Exception {
      JsonNode own = attack(Map.of("kind", "own-environment"));
      Set<String> names = new TreeSet<>();
      own.get("names").forEach(n -> names.add(n.asText()));
      names.removeIf(n -> n.startsWith("LC_"));
      assertTrue(ALLOWED.containsAll(names), "unexpected variables: " + names);

      JsonNode sibling = attack(Map.of("kind", "environ", "pid", pid("CalculatorPlugin")));
      assertTrue(sibling.get("read").asBoolean(), "same-user processes can read each other's environment: " + sibling);
      sibling.get("names").forEach(n ->
          assertTrue(ALLOWED.contains(n.asText()) || n.asText().startsWith("LC_"), "sibling holds " + n));
    }

    @Test
    void aSiblingsServerRefusesItsCallAndTheEndpointIsNotReached() throws Exception {
      long before = count(auditUpToNow(), from("CalculatorPlugin", "HelloPlugin"));
      JsonNode r = attack(Map.of("kind", "dial", "transport", transport(), "pid", pid("CalculatorPlugin"),
          "rpc", "call", "method", "create:calculate_via_hello", "body", "{\"operation\":\"add\",\"a\":5,\"b\":3}"));
      assertEquals("UNAUTHENTICATED", r.get("code").asText(), r.toString());
      assertTrue(r.get("message").asText().contains("accepts calls from its agent only"), r.toString());
      // calculate_via_hello calls hello through the broker: had it run, the audit would show it.
      assertEquals(before, count(auditUpToNow(), from("CalculatorPlugin", "HelloPlugin")), "the endpoint ran");
    }

    @Test
    void aSiblingsRegisterIsRefusedAndItsBrokerAddressStaysTheAgents() throws Exception {
      JsonNode r = attack(Map.of("kind", "dial", "transport", transport(), "pid", pid("CalculatorPlugin"),
          "rpc", "register", "config", "{}"));
      assertEquals("UNAUTHENTICATED", r.get("code").asText(), r.toString());
      assertEquals(0, r.get("fakeBrokerConnections").asInt(), r.toString());

      long before = count(auditUpToNow(), from("CalculatorPlugin", "HelloPlugin"));
      JsonNode result = Fixtures.value(broker.call("CalculatorPlugin", "calculate_via_hello", Action.CREATE,
          Fixtures.json(Map.of("operation", "add", "a", 5, "b", 3))));
      assertEquals(8, result.get("result").asInt());
      assertEquals(before + 1, count(auditUpToNow(), from("CalculatorPlugin", "HelloPlugin")),
          "the calculator still calls hello through the real broker");
    }

    @Test
    void aSiblingsLogStreamIsRefused() throws Exception {
      JsonNode r = attack(Map.of("kind", "dial", "transport", transport(), "pid", pid("HelloPlugin"), "rpc", "logs"));
      assertEquals("UNAUTHENTICATED", r.get("code").asText(), r.toString());
      assertEquals(0, r.get("records").asInt(), r.toString());
    }

    @Test
    void theBrokerNamesTheTrueCallerWhateverItSends() throws Exception {
      JsonNode r = attack(Map.of("kind", "broker", "target", "HelloPlugin",
          "credential", "stolen-or-forged-credential"));
      assertEquals("PERMISSION_DENIED", r.get("code").asText(), r.toString());
      assertTrue(r.get("message").asText().contains("caller 'Attacker'"), r.toString());
      assertEquals(0, r.get("visible").size(), "a default-deny policy shows it nothing: " + r);
      List<JsonNode> records = auditUpToNow();
      JsonNode last = records.stream().filter(from("Attacker", "HelloPlugin")).reduce((a, b) -> b).orElseThrow();
      assertEquals("deny", last.get("decision").asText());
      assertEquals("PERMISSION_DENIED", last.get("status").asText());
    }

    @Test
    void aChildProcessOfAPluginIsThatPlugin() throws Exception {
      long before = count(auditUpToNow(), from("Attacker", "CalculatorPlugin"));
      JsonNode r = attack(Map.of("kind", "child", "target", "CalculatorPlugin"));
      assertTrue(r.get("output").asText().contains("PERMISSION_DENIED caller 'Attacker'"), r.toString());
      assertEquals(before + 1, count(auditUpToNow(), from("Attacker", "CalculatorPlugin")));
    }

    @Test
    void aProcessTheAgentDidNotLaunchIsUnauthenticatedEvenTheAgentsOwn() throws Exception {
      long before = count(auditUpToNow(), r -> r.get("caller").asText().equals("unauthenticated"));
      String address = unix ? Protocol.UNIX_ADDRESS_PREFIX + socketDirectory().resolve(Protocol.BROKER_SOCKET) : broker.brokerAddress();
      Map<String, Object> r = AttackerPlugin.callBroker(address, "HelloPlugin", "");
      assertEquals("UNAUTHENTICATED", r.get("code"), r.toString());
      assertTrue(r.get("message").toString().contains("is not a plugin this agent launched"), r.toString());
      assertEquals("UNAUTHENTICATED", r.get("listCode"), "ListPlugins was refused too: " + r);
      List<JsonNode> records = auditUpToNow();
      assertEquals(before + 1, count(records, x -> x.get("caller").asText().equals("unauthenticated")),
          "one record for the refused CallPlugin");
    }

    /** The directory the broker offers plugins for their Unix sockets, as a plugin learns it. */
    private Path socketDirectory() throws Exception {
      return Path.of(environ(pid("HelloPlugin")).get(Protocol.ENV_UNIX_SOCKET_DIR));
    }

    private static Map<String, String> environ(long pid) throws Exception {
      Map<String, String> vars = new java.util.HashMap<>();
      for (String kv : Files.readString(Path.of("/proc/" + pid + "/environ")).split("\0")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          vars.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      }
      return vars;
    }
  }
}
