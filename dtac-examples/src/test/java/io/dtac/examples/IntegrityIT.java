package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.broker.server.internal.PluginDiscovery;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plugin files are checked before they run: expected SHA-256, and who may write them. */
class IntegrityIT {
  @TempDir Path dir;

  @Test
  void tamperedOrWritablePluginFilesAreRefusedAndTheOthersLoad() throws Exception {
    Path plugins = ExamplePlugins.copyTo(dir, "hello.plugin", "calculator.plugin");
    Path hello = plugins.resolve("hello.plugin");
    String helloHash = PluginDiscovery.sha256(hello);
    String calculatorHash = PluginDiscovery.sha256(plugins.resolve("calculator.plugin"));
    Files.writeString(hello, "# tampered\n", StandardOpenOption.APPEND);
    String tamperedHash = PluginDiscovery.sha256(hello);
    Path writable = plugins.resolve("writable.plugin");
    Files.copy(plugins.resolve("calculator.plugin"), writable, StandardCopyOption.COPY_ATTRIBUTES);
    Files.setPosixFilePermissions(writable, PosixFilePermissions.fromString("rwxrwxr-x"));

    try (PluginBroker broker =
        PluginBroker.builder()
            .pluginDirectory(plugins)
            .handshakeTimeout(Duration.ofSeconds(30))
            .pluginConfig(PluginConfig.builder("hello").expectedSha256(helloHash).build())
            .pluginConfig(PluginConfig.builder("calculator").expectedSha256(calculatorHash.toUpperCase()).build())
            .build()
            .start()) {
      PluginInfo refused = info(broker, "hello.plugin");
      assertEquals(PluginState.FAILED, refused.state());
      assertEquals(
          "refusing to launch hello.plugin: its SHA-256 is " + tamperedHash
              + " but the configuration expects " + helloHash + " (the file changed since it was configured)",
          refused.failure().orElseThrow());
      assertTrue(refused.pid().isEmpty(), "a refused file is never started");

      PluginInfo open = info(broker, "writable.plugin");
      assertEquals(PluginState.FAILED, open.state());
      assertEquals(
          "refusing to launch writable.plugin: it is writable by group or others (mode rwxrwxr-x);"
              + " run chmod go-w " + writable,
          open.failure().orElseThrow());

      assertEquals(PluginState.RUNNING, info(broker, "calculator.plugin").state(),
          "a file with the expected hash loads, whatever the others do");
      assertEquals(8, IdentityIT.hostCall(broker, "CalculatorPlugin", "calculate", "create",
          Map.of("operation", "add", "a", 5, "b", 3)).get("result").asInt());
    }
  }

  private static PluginInfo info(PluginBroker broker, String fileName) {
    return broker.plugins().stream()
        .filter(p -> p.file() != null && p.file().getFileName().toString().equals(fileName))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no plugin from " + fileName + ": " + broker.plugins()));
  }
}
