package io.dtac.examples;

import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.core.PluginCallException;
import io.dtac.core.StatusCode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One bad plugin file never stops the others from loading, and each failure says why. */
class PluginLoadingIT {
  @TempDir Path tmp;

  @Test
  void brokenPluginsAreReportedAndTheOthersStillLoad() throws Exception {
    Path dir = ExamplePlugins.copyTo(tmp, "hello.plugin");
    ExamplePlugins.script(dir, "garbage.plugin", "echo 'hello there'; sleep 30");
    ExamplePlugins.script(dir, "early.plugin", "echo 'cannot start' >&2; exit 3");
    ExamplePlugins.script(dir, "silent.plugin", "sleep 30");
    ExamplePlugins.script(dir, "fields.plugin", "echo 'CONNECT{{Bad:bad:grpc:tcp:127.0.0.1}}'; sleep 30");
    Path writable = ExamplePlugins.script(dir, "writable.plugin", "exit 0");
    Files.setPosixFilePermissions(writable, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path notExecutable = dir.resolve("plain.plugin");
    Files.writeString(notExecutable, "#!/bin/sh\n");
    ExamplePlugins.script(dir, "disabled.plugin", "exit 0");

    PluginBroker broker =
        PluginBroker.builder()
            .pluginDirectory(dir)
            .handshakeTimeout(Duration.ofSeconds(15))
            .pluginConfig(PluginConfig.builder("disabled").enabled(false).build())
            .build();
    List<PluginInfo> plugins;
    try {
      broker.start();
      plugins = broker.plugins();
      Map<String, PluginInfo> byName =
          plugins.stream().collect(Collectors.toMap(PluginInfo::name, Function.identity()));

      assertEquals(PluginState.RUNNING, byName.get("HelloPlugin").state());
      assertTrue(broker.call("HelloPlugin", "hello", Action.READ, Request.empty())
          .valueAsString().contains("Hello from HelloPlugin"));

      assertFailure(byName, "garbage.plugin", "expected a line starting with CONNECT{{, got: 'hello there'");
      assertFailure(byName, "early.plugin", "exited with code 3 before printing its handshake line");
      assertFailure(byName, "early.plugin", "cannot start");
      assertFailure(byName, "silent.plugin", "printed no handshake line within 15000 ms");
      assertFailure(byName, "fields.plugin", "has 5 fields, expected 8");
      assertFailure(byName, "writable.plugin", "writable by group or others");
      assertFailure(byName, "plain.plugin", "is not executable");
      assertFalse(byName.containsKey("disabled.plugin"), "a disabled plugin is not launched");
    } finally {
      broker.close();
    }
    assertNoChildProcesses();
  }

  @Test
  void aSecondPluginWithTheSameNameIsRefused() throws Exception {
    Path dir = ExamplePlugins.copyTo(tmp, "hello.plugin");
    Files.copy(dir.resolve("hello.plugin"), dir.resolve("hello2.plugin"),
        java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    try (PluginBroker broker = PluginBroker.builder().pluginDirectory(dir).build().start()) {
      List<PluginInfo> plugins = broker.plugins();
      assertEquals(1, plugins.stream().filter(p -> p.state() == PluginState.RUNNING).count(), plugins.toString());
      PluginInfo refused = plugins.stream().filter(p -> p.state() == PluginState.FAILED).findFirst().orElseThrow();
      assertTrue(refused.failure().orElseThrow().startsWith("duplicate plugin name 'HelloPlugin': already loaded from hello"),
          refused.toString());
    }
    assertNoChildProcesses();
  }

  @Test
  void aTamperedPluginFileIsRefused() throws Exception {
    Path dir = ExamplePlugins.copyTo(tmp, "hello.plugin", "calculator.plugin");
    String expected = "0".repeat(64);
    try (PluginBroker broker =
        PluginBroker.builder()
            .pluginDirectory(dir)
            .pluginConfig(PluginConfig.builder("hello").expectedSha256(expected).build())
            .build()
            .start()) {
      PluginInfo hello = broker.plugins().stream()
          .filter(p -> p.name().equals("hello.plugin")).findFirst().orElseThrow();
      assertEquals(PluginState.FAILED, hello.state());
      assertTrue(hello.failure().orElseThrow().contains("but the configuration expects " + expected));
      assertEquals(PluginState.RUNNING, broker.plugin("CalculatorPlugin").orElseThrow().state());
    }
    assertNoChildProcesses();
  }

  @Test
  void callsToAPluginWhoseProcessDiedAreUnavailableWithItsExitCode() throws Exception {
    Path dir = ExamplePlugins.copyTo(tmp, "hello.plugin");
    try (PluginBroker broker = PluginBroker.builder().pluginDirectory(dir).build().start()) {
      long pid = broker.plugin("HelloPlugin").orElseThrow().pid().orElseThrow();
      ProcessHandle.of(pid).orElseThrow().destroyForcibly();
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
          .until(() -> broker.plugin("HelloPlugin").orElseThrow().state() == PluginState.FAILED);
      PluginCallException e = org.junit.jupiter.api.Assertions.assertThrows(
          PluginCallException.class,
          () -> broker.call("HelloPlugin", "hello", Action.READ, Request.empty()));
      assertEquals(StatusCode.UNAVAILABLE, e.code());
      assertTrue(e.description().contains("plugin 'HelloPlugin' is not running"), e.description());
      assertTrue(e.description().contains("exited with code 137"), e.description());
    }
    assertNoChildProcesses();
  }

  private static void assertFailure(Map<String, PluginInfo> byName, String file, String expected) throws Exception {
    PluginInfo info = byName.get(file);
    assertTrue(info != null, file + " is not reported; reported: " + byName.keySet());
    assertEquals(PluginState.FAILED, info.state());
    assertTrue(info.failure().orElse("").contains(expected), file + ": " + info.failure().orElse(""));
  }

  static void assertNoChildProcesses() throws Exception {
    List<ProcessHandle> left = ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
        .collect(Collectors.toList());
    assertTrue(left.isEmpty(), "processes left behind: "
        + left.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).collect(Collectors.toList()));
  }
}
