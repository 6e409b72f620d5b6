package io.dtac.maven;

import io.dtac.core.Protocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the invoker's real Maven builds of src/it produced (target/it/NAME, with their build.log):
 * a plugin project configured as the README shows, and one whose mainClass is wrong.
 */
class PackagedPluginIT {
  private static final Path IT = Path.of(System.getProperty("dtac.it.dir", "target/it")).toAbsolutePath();
  private static final Pattern WROTE =
      Pattern.compile("\\[INFO\\] dtac: wrote target/hello-it\\.plugin \\(([0-9]+\\.[0-9]) MiB\\), sha256 ([0-9a-f]{64})");

  @TempDir Path dir;

  @Test
  void thePrintedSha256IsTheFilesAndACopyElsewhereRunsAsARealPluginUnderABroker() throws Exception {
    Path project = IT.resolve("hello-plugin");
    Path plugin = project.resolve("target/hello-it.plugin");
    String log = Files.readString(project.resolve("build.log"));
    Matcher wrote = WROTE.matcher(log);
    assertTrue(wrote.find(), "no 'dtac: wrote' line in " + project.resolve("build.log"));
    String sha256 = wrote.group(2);
    assertEquals(sha256(plugin), sha256, "the printed SHA-256 is the file's");
    assertEquals(sha256 + "  hello-it.plugin\n", Files.readString(project.resolve("target/hello-it.plugin.sha256")));
    assertEquals(String.format(java.util.Locale.ROOT, "%.1f", Files.size(plugin) / 1048576.0), wrote.group(1));

    try (JarFile jar = new JarFile(plugin.toFile())) {
      assertEquals("com.example.hello.HelloIt", jar.getManifest().getMainAttributes().getValue("Main-Class"));
      assertTrue(jar.getEntry("io/grpc/netty/shaded/io/grpc/netty/NettyServerProvider.class") != null, "dependencies are in");
      assertTrue(new String(jar.getInputStream(jar.getEntry("META-INF/services/io.grpc.ServerProvider")).readAllBytes(),
          StandardCharsets.UTF_8).contains("NettyServerProvider"));
      assertTrue(jar.stream().noneMatch(e -> e.getName().startsWith("org/HdrHistogram/")), "org.hdrhistogram:* is excluded");
    }
    assertTrue(log.contains("[WARNING] dtac: exclude 'com.example:nothing-of-that-name' matches no runtime dependency"), log);

    // Alone in a new directory, far from the project's target/ and any lib/ directory.
    Path plugins = Files.createDirectories(dir.resolve("elsewhere/plugins"));
    Path copy = plugins.resolve("hello-it.plugin");
    Files.copy(plugin, copy, StandardCopyOption.COPY_ATTRIBUTES);

    assertTrue(connectLine(copy).startsWith("CONNECT{{HelloIt:hello-it:grpc:"), "started as the agent starts it");

    try (PluginBroker broker = PluginBroker.builder()
        .pluginDirectory(plugins)
        .handshakeTimeout(Duration.ofSeconds(30))
        .pluginConfig(PluginConfig.builder("hello-it").expectedSha256(sha256).build())
        .build()
        .start()) {
      List<PluginInfo> loaded = broker.plugins();
      assertEquals(1, loaded.size(), loaded.toString());
      assertEquals("HelloIt", loaded.get(0).name(), loaded.toString());
      assertEquals(PluginState.RUNNING, loaded.get(0).state(), "pinned to the printed SHA-256: " + loaded);
    }
  }

  @Test
  void aMainClassThatIsNotInTheProjectFailsTheBuildWithWhatToWrite() throws Exception {
    Path project = IT.resolve("wrong-main-class");
    String log = Files.readString(project.resolve("build.log"));
    assertTrue(log.contains("on project wrong-main-class: dtac: mainClass com.example.HelloWrong is not in the plugin:"
        + " no com/example/HelloWrong.class in target/classes or any of the "), log);
    assertTrue(log.contains("did you mean com.example.hello.HelloWrong?"), log);
    assertTrue(Files.notExists(project.resolve("target/wrong-main-class.plugin")));
  }

  /** Runs the file as the agent does (DTAC_PLUGINS=true) and returns its first line. */
  private static String connectLine(Path plugin) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(plugin.toString()).redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put(Protocol.ENV_PLUGINS, "true");
    pb.directory(plugin.getParent().toFile());
    Process p = pb.start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      return line == null ? "(no output; exit " + p.waitFor() + ")" : line;
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
