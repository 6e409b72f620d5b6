package io.dtac.examples;

import io.dtac.core.StatusCode;

import io.dtac.core.Action;
import io.dtac.core.Request;

import static io.dtac.examples.Fixtures.alive;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin cannot buy the host's privilege with a name: real plugin processes announcing the
 * broker's own names, or names with its separators, fail at the handshake and are stopped, while
 * a well-behaved plugin next to them loads under a default-deny policy.
 */
class ReservedNameIT {
  @TempDir Path tmp;

  private static String failure(Map<String, PluginInfo> plugins, String name) throws Exception {
    PluginInfo p = plugins.get(name);
    assertEquals(PluginState.FAILED, p.state(), p.toString());
    p.pid().ifPresent(pid -> assertTrue(!alive(pid), name + " (pid " + pid + ") was not stopped"));
    return p.failure().orElseThrow();
  }

  private static String announcing(String name, String root) throws Exception {
    return "echo 'CONNECT{{" + name + ":" + root + ":grpc:tcp:127.0.0.1:1:plug_api_1.0:[]}}'; sleep 30";
  }

  @Test
  void pluginsAnnouncingReservedNamesOrSeparatorsFailAndTheOthersLoad() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp, "hello.plugin");
    ExamplePlugins.script(plugins, "agent.plugin", announcing("agent", "agent"));
    ExamplePlugins.script(plugins, "shouting.plugin", announcing("AGENT", "shouting"));
    ExamplePlugins.script(plugins, "nobody.plugin", announcing("unauthenticated", "nobody"));
    ExamplePlugins.script(plugins, "chain.plugin", announcing("agent>HelloPlugin", "chain"));
    ExamplePlugins.script(plugins, "spaced.plugin", announcing("Spaced", "a b"));
    AccessPolicy denyAll = AccessPolicy.builder().defaultEffect(AccessPolicy.Effect.DENY).build();
    try (PluginBroker broker = PluginBroker.builder().pluginDirectory(plugins).accessPolicy(denyAll)
        .handshakeTimeout(Duration.ofSeconds(30)).build().start()) {
      Map<String, PluginInfo> all =
          broker.plugins().stream().collect(Collectors.toMap(PluginInfo::name, Function.identity()));
      assertEquals(PluginState.RUNNING, all.get("HelloPlugin").state());
      String reserved = " is reserved: the broker uses 'agent' and 'unauthenticated' (in any case) for"
          + " callers that are not plugins; choose another name";
      assertEquals("handshake failed: agent.plugin plugin name 'agent'" + reserved, failure(all, "agent.plugin"));
      assertEquals("handshake failed: shouting.plugin plugin name 'AGENT'" + reserved, failure(all, "shouting.plugin"));
      assertEquals("handshake failed: nobody.plugin plugin name 'unauthenticated'" + reserved,
          failure(all, "nobody.plugin"));
      assertTrue(failure(all, "chain.plugin").startsWith(
          "handshake failed: chain.plugin plugin name 'agent>HelloPlugin' is not allowed: it holds '>';"
              + " plugin names are letters, digits, '.', '_' and '-'"), failure(all, "chain.plugin"));
      assertTrue(failure(all, "spaced.plugin").startsWith(
          "handshake failed: spaced.plugin root path 'a b' is not allowed: it holds a space"),
          failure(all, "spaced.plugin"));

      // Nothing answers to the reserved name, and the host, not subject to the policy, still calls.
      assertEquals(StatusCode.NOT_FOUND,
          Fixtures.failure(() -> broker.call("agent", "hello", Action.READ, Request.empty())).code());
      assertEquals("Hello from HelloPlugin",
          Fixtures.value(broker.call("HelloPlugin", "hello", Action.READ, Request.empty()))
              .get("message").asText());
    }
  }
}
