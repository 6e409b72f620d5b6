package io.dtac.examples;

import static io.dtac.examples.PythonPlugins.audit;
import static io.dtac.examples.PythonPlugins.is;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginConfig;
import io.dtac.core.Action;
import io.dtac.testing.PluginTestKit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python example (WordCountPlugin, written from docs/PROTOCOL.md alone) under a real broker
 * with its default settings, next to the Java examples: it answers, calls HelloPlugin through the
 * broker, is called by CalculatorPlugin, is named by the kernel in the audit trail, passes the
 * call token on (so a cycle through it is refused), and its own server accepts its agent only.
 */
class PythonPluginIT {
  @RegisterExtension static final PluginTestKit kit = new PluginTestKit();
  @TempDir static Path tmp;
  private static PluginBroker broker;
  private static Path auditFile;

  @BeforeAll
  static void start() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp, "hello.plugin", "calculator.plugin");
    PythonPlugins.wordCount(plugins);
    auditFile = tmp.resolve("audit.jsonl");
    broker = kit.startBroker(PluginBroker.builder().pluginDirectory(plugins).auditFile(auditFile));
  }

  @Test
  void itCountsWordsAndAsksHelloThroughTheBroker() throws Exception {
    JsonNode answer = Fixtures.value(broker.call("WordCountPlugin", "count", Action.CREATE,
        Fixtures.json(Map.of("text", "the quick  brown\nfox"))));
    assertEquals(4, answer.get("words").asInt(), answer.toString());
    assertEquals("Hello from HelloPlugin", answer.get("greeting").asText(), answer.toString());
    assertTrue(answer.get("greeting_error").isNull(), answer.toString());
    await().atMost(Duration.ofSeconds(10)).until(() ->
        !audit(auditFile, r -> is(r, "WordCountPlugin", "HelloPlugin", "allow")).isEmpty());
  }

  @Test
  void aJavaPluginCallsIt() throws Exception {
    JsonNode answer = Fixtures.value(broker.call("CalculatorPlugin", "calculate_words", Action.CREATE,
        Fixtures.json(Map.of("text", "one two three", "operation", "multiply", "b", 2))));
    assertEquals(Fixtures.JSON.readTree("{\"result\":6,\"words\":3,\"callee_plugin\":\"WordCountPlugin\"}"), answer);
    await().atMost(Duration.ofSeconds(10)).until(() ->
        !audit(auditFile, r -> is(r, "CalculatorPlugin", "WordCountPlugin", "allow")).isEmpty());
  }

  @Test
  void itsErrorsAreStatuses() {
    var e = Fixtures.failure(() -> broker.call("WordCountPlugin", "count", Action.CREATE,
        Fixtures.json(Map.of("text", 5))));
    assertEquals(io.dtac.core.StatusCode.INVALID_ARGUMENT, e.code());
    assertEquals("field 'text' must be a string", e.description());
  }

  @Test
  void itPassesTheCallTokenOnSoACycleThroughItIsRefused(@TempDir Path own) throws Exception {
    Path plugins = Files.createDirectories(own.resolve("plugins"));
    PythonPlugins.wordCount(plugins);
    PluginBroker cyclic = kit.startBroker(PluginBroker.builder().pluginDirectory(plugins)
        .pluginConfig(PluginConfig.builder("wordcount").configJson(
            "{\"greeting_plugin\": \"WordCountPlugin\", \"greeting_path\": \"count\", \"greeting_action\": \"create\"}")
            .build()));
    JsonNode answer = Fixtures.value(cyclic.call("WordCountPlugin", "count", Action.CREATE,
        Fixtures.json(Map.of("text", "a b"))));
    assertEquals(2, answer.get("words").asInt(), answer.toString());
    assertTrue(answer.get("greeting_error").asText()
            .startsWith("FAILED_PRECONDITION: call cycle refused: agent -> WordCountPlugin -> WordCountPlugin"),
        "without the token the chain would restart and recurse: " + answer);
  }

  @Test
  void withTlsOnItServesTlsAndCallsTheBrokerPinningTheAgent(@TempDir Path own) throws Exception {
    Path plugins = ExamplePlugins.copyTo(own, "hello.plugin");
    PythonPlugins.wordCount(plugins);
    PluginBroker tls = kit.startBroker(PluginBroker.builder().pluginDirectory(plugins).tls(true));
    JsonNode answer = Fixtures.value(tls.call("WordCountPlugin", "count", Action.CREATE,
        Fixtures.json(Map.of("text", "over TLS"))));
    assertEquals("Hello from HelloPlugin", answer.get("greeting").asText(), answer.toString());
  }

  @Test
  void itsServerAcceptsItsAgentOnly() throws Exception {
    long pid = Fixtures.pid(broker, "WordCountPlugin");
    int before = audit(auditFile, r -> r.path("caller").asText().equals("WordCountPlugin")).size();
    Process dialer = new ProcessBuilder("sh", "-c", "exec " + Fixtures.javaCommand(PluginDialer.class.getName(),
            Integer.toString(listeningPort(pid)), "create:count", "'{\"text\": \"x\"}'"))
        .redirectErrorStream(true).start();
    String out = new String(dialer.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(dialer.waitFor(60, TimeUnit.SECONDS), out);
    String refusal = "UNAUTHENTICATED: plugin WordCountPlugin accepts calls from its agent only (process "
        + ProcessHandle.current().pid() + ")";
    assertTrue(out.contains("call " + refusal + "\n"), out);
    assertTrue(out.contains("register " + refusal + "\n"), out);
    assertEquals(before, audit(auditFile, r -> r.path("caller").asText().equals("WordCountPlugin")).size(),
        "the endpoint did not run (it would have called HelloPlugin)");
    JsonNode still = Fixtures.value(broker.call("WordCountPlugin", "count", Action.CREATE,
        Fixtures.json(Map.of("text", "still here"))));
    assertEquals("Hello from HelloPlugin", still.get("greeting").asText(), "the refused Register changed nothing");
  }

  /** The TCP port process {@code pid} listens on, from /proc/net/tcp and its file descriptors. */
  private static int listeningPort(long pid) throws Exception {
    Set<String> sockets = new HashSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      fds.forEach(fd -> {
        try {
          sockets.add(Files.readSymbolicLink(fd).toString());
        } catch (java.io.IOException e) {
          // closed meanwhile
        }
      });
    }
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines = Files.readAllLines(Path.of(table));
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f[3].equals("0A") && sockets.contains("socket:[" + f[9] + "]")) {
          return Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
        }
      }
    }
    throw new AssertionError("process " + pid + " listens on no TCP port");
  }
}
