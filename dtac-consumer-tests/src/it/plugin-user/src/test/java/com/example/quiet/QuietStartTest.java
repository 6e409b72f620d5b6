package com.example.quiet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A plugin with only dtac-plugin-client, started the way the agent starts it, prints no warning. */
class QuietStartTest {

  @Test
  void pluginPrintsItsHandshakeLineAndNoWarning() throws Exception {
    String classpath = System.getProperty("plugin.classes") + File.pathSeparator
        + Files.readString(Path.of(System.getProperty("plugin.classpath.file"))).trim();
    Path stderr = Files.createTempFile("quiet-plugin", ".stderr");
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classpath, QuietPlugin.class.getName())
        .redirectError(stderr.toFile());
    pb.environment().put("DTAC_PLUGINS", "true");
    pb.environment().put("DTAC_WATCH_STDIN", "true");
    Process plugin = pb.start();
    try {
      BufferedReader out = new BufferedReader(
          new InputStreamReader(plugin.getInputStream(), StandardCharsets.UTF_8));
      String handshake = out.readLine();
      assertTrue(handshake != null && handshake.startsWith("CONNECT{{QuietPlugin:quiet:grpc:"),
          "expected the handshake line, got " + handshake + "; stderr: " + Files.readString(stderr));

      plugin.getOutputStream().close(); // the agent went away: the plugin stops by itself
      assertTrue(plugin.waitFor(30, TimeUnit.SECONDS), "the plugin did not stop when its stdin closed");

      // What it printed on stderr from start to stop: only the line saying why it stops.
      List<String> lines = Files.readAllLines(stderr);
      for (String line : lines) {
        assertTrue(line.startsWith("plugin QuietPlugin stopping"),
            "the plugin printed on stderr: " + String.join("\n", lines));
      }
      assertEquals(0, plugin.exitValue(), "exit code; stderr: " + String.join("\n", lines));
    } finally {
      plugin.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(stderr);
    }
  }
}
