package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginBrokerBuilder;
import io.dtac.broker.server.PluginState;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A start() that fails closes what it started, whenever it fails: the audit writer, the policy
 * file watcher, the servers, the Unix socket directory, and the plugin processes it launched.
 */
class StartFailureIT {
  @TempDir Path tmp;
  private Path sockets;
  private Path policy;
  private Leftovers before;

  @BeforeEach
  void setUp() throws IOException {
    sockets = tmp.resolve("sockets");
    before = Leftovers.before(sockets);
    policy = Files.writeString(tmp.resolve("policy.yaml"), "defaultEffect: allow\nrules: []\n");
  }

  /** Every part start() sets up before it loads plugins: audit file, policy watcher, Unix sockets. */
  private PluginBrokerBuilder everyPart() {
    return PluginBroker.builder()
        .auditFile(tmp.resolve("audit.jsonl"))
        .accessPolicyFile(policy)
        .watchAccessPolicyFile(true)
        .socketDirectory(sockets)
        .handshakeTimeout(Duration.ofSeconds(30))
        .stopTimeout(Duration.ofSeconds(1));
  }

  @Test
  void aPortInUseFailsStartAndLeavesNothingRunning() throws Exception {
    Path plugins = tmp.resolve("plugins");
    Files.createDirectories(plugins);
    Fixtures.testPlugin(plugins, "Alpha");
    PluginBroker broker;
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      broker = everyPart().pluginDirectory(plugins).port(taken.getLocalPort()).build();
      assertThrows(IOException.class, broker::start);
    }
    before.assertNothingLeft();
    assertTrue(broker.plugins().isEmpty(), "no plugin is launched: " + broker.plugins());
    IllegalStateException again = assertThrows(IllegalStateException.class, broker::start);
    assertTrue(again.getMessage().contains("only once"), again.getMessage());
    broker.close();
  }

  @Test
  void anUnreadablePolicyFileFailsBuildAndStartsNothing() throws Exception {
    Path notAFile = Files.createDirectories(tmp.resolve("policy-dir.yaml"));
    PluginBrokerBuilder builder = everyPart().accessPolicyFile(notAFile);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
    assertTrue(e.getMessage().contains("cannot read access policy file"), e.getMessage());
    before.assertNothingLeft();
  }

  @Test
  void anUnreadablePluginDirectoryFailsStartAfterTheServersAndLeavesNothing() throws Exception {
    // Root reads any directory, whatever its mode: a regular file is what no user can list.
    Path notADirectory = Files.writeString(tmp.resolve("plugins"), "not a directory");
    PluginBroker broker = everyPart().pluginDirectory(notADirectory).build();
    IOException e = assertThrows(IOException.class, broker::start);
    assertTrue(e.getMessage().contains("is not a directory"), e.getMessage());
    before.assertNothingLeft();
    broker.close();
  }

  /** What a bug or an exhausted JVM looks like to start(): an Error out of a plugin's launch. */
  private static final class Unexpected extends Error {
    private static final long serialVersionUID = 1L;

    Unexpected() {
      super("unexpected failure while Beta starts");
    }
  }

  @Test
  void aStartThatFailsWhileLoadingStopsEveryPluginProcessItLaunched() throws Exception {
    Path plugins = tmp.resolve("plugins");
    Files.createDirectories(plugins);
    Fixtures.testPlugin(plugins, "Alpha");
    Fixtures.testPlugin(plugins, "Beta");
    // Still in its handshake when start() fails, with a child of its own.
    ExamplePlugins.script(plugins, "never.plugin", "sleep 600 &\nexec sleep 600");
    PluginBroker broker = everyPart()
        .pluginDirectory(plugins)
        .listener((plugin, from) -> {
          if (plugin.name().equals("Beta") && plugin.state() == PluginState.RUNNING) {
            throw new Unexpected();
          }
        })
        .build();
    IllegalStateException e = assertThrows(IllegalStateException.class, broker::start);
    assertInstanceOf(Unexpected.class, e.getCause(), e.toString());
    assertEquals(PluginState.STOPPED, broker.plugin("Alpha").orElseThrow().state());
    assertEquals(PluginState.STOPPED, broker.plugin("Beta").orElseThrow().state());
    before.assertNothingLeft();
  }
}
