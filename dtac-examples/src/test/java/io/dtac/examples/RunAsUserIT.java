package io.dtac.examples;

import io.dtac.core.Action;
import io.dtac.core.Request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.PluginState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real separation: the agent runs as root (as the tests do here) and launches the attacker plugin
 * as {@code nobody}. It still reaches the broker, which knows it by its process, and nothing
 * else: not a sibling's environment, nor its socket, nor the agent's files.
 */
class RunAsUserIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int NOBODY = 65534;
  private static Path dir;
  private static PluginBroker broker;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(isRoot(), "needs to run as root to start a plugin as another user");
    // Everything the nobody plugin runs must be readable by it: a world-readable copy.
    dir = Files.createTempDirectory("dtac-runas-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path lib = copyTree(ExamplePlugins.dir().resolveSibling("lib"), dir.resolve("lib"));
    Path classes = copyTree(ExamplePlugins.dir().resolveSibling("test-classes"), dir.resolve("classes"));
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    for (String p : new String[] {"hello.plugin", "calculator.plugin"}) {
      Files.copy(ExamplePlugins.dir().resolve(p), plugins.resolve(p), StandardCopyOption.COPY_ATTRIBUTES);
    }
    ExamplePlugins.script(plugins, "attacker.plugin",
        "exec '" + Path.of(System.getProperty("java.home"), "bin", "java") + "' " + Fixtures.JVM_OPTS
            + " -cp '" + lib + "/*:" + classes + "' " + AttackerPlugin.class.getName() + " Attacker");
    Path secret = Files.writeString(dir.resolve("token.secret"), "agent secret");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    broker = PluginBroker.builder()
        .pluginDirectory(plugins)
        .pluginConfig(PluginConfig.builder("attacker").user("nobody").build())
        .accessPolicy(AccessPolicy.builder()
            .defaultEffect(AccessPolicy.Effect.DENY)
            .allow("attacker-reads-hello", "Attacker", "HelloPlugin", "read:hello")
            .build())
        .build()
        .start();
    broker.plugins().forEach(p -> assertEquals(PluginState.RUNNING, p.state(), p.toString()));
  }

  @AfterAll
  static void stop() throws IOException {
    if (broker != null) {
      broker.close();
    }
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static JsonNode attack(Map<String, Object> body) throws Exception {
    Request request =
        Request.builder().body(JSON.writeValueAsBytes(body)).build();
    return JSON.readTree(broker.call("Attacker", "attack", Action.CREATE, request, Duration.ofSeconds(60))
        .value());
  }

  @Test
  void thePluginProcessRunsAsTheConfiguredUser() throws Exception {
    long pid = Fixtures.pid(broker, "Attacker");
    assertEquals(NOBODY, Files.getAttribute(Path.of("/proc/" + pid), "unix:uid"));
    assertEquals(0, Files.getAttribute(Path.of("/proc/" + Fixtures.pid(broker, "HelloPlugin")), "unix:uid"));
  }

  @Test
  void itStillReachesTheBrokerWhichKnowsItByItsProcess() throws Exception {
    JsonNode r = attack(Map.of("kind", "broker", "target", "HelloPlugin"));
    assertEquals("OK", r.get("code").asText(), r.toString());
    assertEquals("[\"HelloPlugin\"]", r.get("visible").toString(), "the policy shows it only hello");
  }

  @Test
  void itCannotReadASiblingsEnvironmentNorReachItsSocket() throws Exception {
    long hello = Fixtures.pid(broker, "HelloPlugin");
    JsonNode environ = attack(Map.of("kind", "environ", "pid", hello));
    assertFalse(environ.get("read").asBoolean(), environ.toString());
    JsonNode dial = attack(Map.of("kind", "dial", "transport", "unix", "pid", hello, "rpc", "logs"));
    assertEquals("UNAVAILABLE", dial.get("code").asText(), dial.toString());
  }

  @Test
  void itCannotReadTheAgentsFiles() throws Exception {
    JsonNode r = attack(Map.of("kind", "read-file", "path", dir.resolve("token.secret").toString()));
    assertFalse(r.get("read").asBoolean(), r.toString());
    assertTrue(r.get("error").asText().contains("AccessDenied"), r.toString());
  }

  private static boolean isRoot() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  private static Path copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
          Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        } else {
          Files.copy(p, target);
          Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r--r--"));
        }
      }
    }
    return to;
  }
}
