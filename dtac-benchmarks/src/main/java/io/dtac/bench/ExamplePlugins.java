package io.dtac.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place that knows where the example plugin files (and the example agent) are and what is
 * in them. The build
 * (dtac-benchmarks' pom, {@code driver-jar-and-example-plugins}) copies the very files the examples
 * module packaged into {@code target/example-plugins}; to measure plugin files from elsewhere,
 * re-point that copy (and the names here, if they change).
 */
final class ExamplePlugins {
  /** Under the benchmark's target directory. */
  private static final String DIR = "example-plugins";
  static final String HELLO_FILE = "hello.plugin";
  static final String CALCULATOR_FILE = "calculator.plugin";
  /** The name HelloPlugin gives itself in its code (what its handshake announces). */
  static final String HELLO_NAME = "HelloPlugin";
  /** Where the agent's REST gateway serves each example plugin, and a call to make to it. */
  static final String HELLO_CALL = "GET /plugins/hello/hello";
  static final String CALCULATOR_CALL = "POST /plugins/calculator/calculate_via_hello {\"operation\":\"add\",\"a\":5,\"b\":3}";
  /** How many copies of hello the ten-plugin measurement loads. */
  static final int COPIES = 10;

  private static final Pattern DEFAULT_OPTIONS =
      Pattern.compile("\\$\\{" + io.dtac.core.Protocol.ENV_PLUGIN_JAVA_OPTS + ":-([^}]*)\\}");

  private ExamplePlugins() {}

  /**
   * The example agent's classpath, {@code dtac-examples/target/lib}, as {@code ./dtac} runs it
   * ({@code benchDir} is {@code dtac-benchmarks/target}).
   */
  static String agentClasspath(Path benchDir) {
    return benchDir.toAbsolutePath().resolve("../../dtac-examples/target/lib").normalize() + "/*";
  }

  /** The directory with hello.plugin and calculator.plugin, as the examples packaged them. */
  static Path dir(Path benchDir) {
    return benchDir.resolve(DIR);
  }

  /**
   * The default JVM options a plugin file's launcher runs with (what {@code
   * DTAC_PLUGIN_JAVA_OPTS} replaces), read from its first lines.
   */
  static String defaultJvmOptions(Path pluginFile) throws IOException {
    byte[] head;
    try (InputStream in = Files.newInputStream(pluginFile)) {
      head = in.readNBytes(4096);
    }
    Matcher m = DEFAULT_OPTIONS.matcher(new String(head, StandardCharsets.ISO_8859_1));
    return m.find() ? m.group(1).trim() : "";
  }

  /**
   * A directory of {@value #COPIES} copies of hello.plugin, {@code hello-01.plugin} to {@code
   * hello-10.plugin}, made once per build of hello.plugin, and the agent configuration that serves
   * copy N under {@code /plugins/helloNN}. A plugin names itself in its code and the broker refuses
   * a second plugin of a name it has, so a byte-for-byte copy would load once: each copy is the
   * shipped file with its name rewritten ({@code HelloPlug01} ...; see {@link RenamedPluginFile}),
   * its launcher, JVM options and every other class and resource unchanged.
   */
  static Copies helloCopies(Path benchDir, Path work) throws IOException {
    Path hello = dir(benchDir).resolve(HELLO_FILE);
    Path copies = Files.createDirectories(work.resolve("ten-plugins"));
    List<String> roots = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = json.createObjectNode();
    ObjectNode plugins = config.putObject("plugins");
    for (int i = 1; i <= COPIES; i++) {
      String stem = String.format(java.util.Locale.ROOT, "hello-%02d", i);
      String root = String.format(java.util.Locale.ROOT, "hello%02d", i);
      Path copy = copies.resolve(stem + ".plugin");
      if (!Files.exists(copy) || Files.getLastModifiedTime(copy).compareTo(Files.getLastModifiedTime(hello)) < 0) {
        Path tmp = copies.resolve("." + stem + ".tmp");
        RenamedPluginFile.write(hello, HELLO_NAME, renamed(i), tmp);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(tmp, copy, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
      plugins.putObject(stem).put("root_path", root);
      roots.add(root);
    }
    Path configFile = work.resolve("ten-plugins.json");
    json.writeValue(configFile.toFile(), config);
    return new Copies(copies, configFile, roots);
  }

  /** Copy {@code i}'s name: as long as {@link #HELLO_NAME}, so that only its bytes change. */
  static String renamed(int i) {
    String suffix = String.format(java.util.Locale.ROOT, "%02d", i);
    return HELLO_NAME.substring(0, HELLO_NAME.length() - suffix.length()) + suffix;
  }

  /** The ten copies: their directory, the agent configuration (root paths), the root paths. */
  record Copies(Path dir, Path agentConfig, List<String> rootPaths) {}
}
