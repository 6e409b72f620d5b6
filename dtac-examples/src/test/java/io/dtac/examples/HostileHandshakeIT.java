package io.dtac.examples;

import static io.dtac.examples.Fixtures.alive;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugins that botch the handshake each fail with a clear message, and are stopped, while the
 * well-behaved plugin next to them loads.
 */
class HostileHandshakeIT {
  @TempDir Path tmp;

  private static Map<String, PluginInfo> byName(PluginBroker broker) {
    return broker.plugins().stream().collect(Collectors.toMap(PluginInfo::name, Function.identity()));
  }

  private static String failure(Map<String, PluginInfo> plugins, String name) {
    PluginInfo p = plugins.get(name);
    assertEquals(PluginState.FAILED, p.state(), p.toString());
    p.pid().ifPresent(pid -> assertTrue(!alive(pid), name + " (pid " + pid + ") was not stopped"));
    return p.failure().orElseThrow();
  }

  @Test
  void badHandshakesFailClearlyAndTheOthersStillLoad() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp, "hello.plugin");
    ExamplePlugins.script(plugins, "garbage.plugin", "printf 'garbage\\001\\002\\n'; sleep 30");
    ExamplePlugins.script(plugins, "chatty.plugin",
        "echo 'starting up...'; echo 'CONNECT{{Chatty:chatty:grpc:tcp:127.0.0.1:1:plug_api_1.0:[]}}'; sleep 30");
    ExamplePlugins.script(plugins, "huge.plugin", "head -c 100000 /dev/zero | tr '\\0' A; echo; sleep 30");
    ExamplePlugins.script(plugins, "quitter.plugin", "echo 'no configuration found' >&2; exit 3");
    ExamplePlugins.script(plugins, "deaf.plugin",
        "echo 'CONNECT{{Deaf:deaf:grpc:tcp:127.0.0.1:1:plug_api_1.0:[tls=false]}}'; sleep 30");
    ExamplePlugins.script(plugins, "oldapi.plugin",
        "echo 'CONNECT{{Old:old:grpc:tcp:127.0.0.1:1:plug_api_9.0:[]}}'; sleep 30");
    Files.writeString(plugins.resolve("notexecutable.plugin"), "#!/bin/sh\n");
    try (PluginBroker broker = PluginBroker.builder().pluginDirectory(plugins)
        .handshakeTimeout(Duration.ofSeconds(30)).build().start()) {
      Map<String, PluginInfo> all = byName(broker);
      assertEquals(PluginState.RUNNING, all.get("HelloPlugin").state());
      assertEquals("handshake failed: garbage.plugin expected a line starting with CONNECT{{, got: 'garbage\\x01\\x02'",
          failure(all, "garbage.plugin"));
      assertEquals("handshake failed: chatty.plugin expected a line starting with CONNECT{{, got: 'starting up...'",
          failure(all, "chatty.plugin"));
      assertEquals("handshake failed: huge.plugin its first stdout line is longer than 4096 characters;"
          + " expected the CONNECT{{...}} handshake line", failure(all, "huge.plugin"));
      assertEquals("handshake failed: quitter.plugin exited with code 3 before printing its handshake line;"
          + " its stderr ended with: no configuration found", failure(all, "quitter.plugin"));
      assertTrue(failure(all, "Deaf").startsWith("Register failed: UNAVAILABLE: io exception ("), failure(all, "Deaf"));
      assertEquals("handshake failed: oldapi.plugin unsupported plugin API version 'plug_api_9.0'; expected plug_api_1.x",
          failure(all, "oldapi.plugin"));
      assertTrue(failure(all, "notexecutable.plugin").startsWith("notexecutable.plugin is not executable"));
    }
  }

  @Test
  void aPluginThatPrintsNothingOrHalfALineTimesOut() throws Exception {
    Path plugins = Files.createDirectories(tmp.resolve("slow"));
    ExamplePlugins.script(plugins, "silent.plugin", "sleep 30");
    ExamplePlugins.script(plugins, "partial.plugin", "printf 'CONNECT{{Partial:partial:grpc'; sleep 30");
    try (PluginBroker broker = PluginBroker.builder().pluginDirectory(plugins)
        .handshakeTimeout(Duration.ofSeconds(2)).build().start()) {
      Map<String, PluginInfo> all = byName(broker);
      assertEquals("handshake failed: silent.plugin printed no handshake line within 2000 ms",
          failure(all, "silent.plugin"));
      assertEquals("handshake failed: partial.plugin printed no handshake line within 2000 ms (it printed 29"
          + " characters without ending the line: 'CONNECT{{Partial:partial:grpc')", failure(all, "partial.plugin"));
    }
  }
}
