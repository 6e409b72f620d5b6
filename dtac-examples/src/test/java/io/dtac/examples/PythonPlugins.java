package io.dtac.examples;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The Python plugins of the tests: the example WordCountPlugin the build packaged
 * (target/plugins/wordcount.plugin), and the upstream-style plugin packaged here from
 * src/test/python/upstream with the same script. Both need protoc, grpc_python_plugin and a python3
 * with grpc and protobuf, which .ci/run installs; without them the tests that use them are skipped.
 */
final class PythonPlugins {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PythonPlugins() {}

  /** Copies wordcount.plugin into {@code plugins}; skips the test if the build could not make it. */
  static Path wordCount(Path plugins) throws IOException {
    Path built = ExamplePlugins.dir().resolve("wordcount.plugin");
    assumeTrue(Files.isRegularFile(built),
        "wordcount.plugin was not built: protoc, grpc_python_plugin or python3 with grpc is missing (.ci/run installs them)");
    return Files.copy(built, plugins.resolve("wordcount.plugin"), StandardCopyOption.COPY_ATTRIBUTES);
  }

  /**
   * Packages the upstream-style plugin (src/test/python/upstream, on its own plugin.proto) as
   * {@code plugins/upstream.plugin}; skips the test if the tools are missing.
   */
  static Path upstream(Path plugins, Path work) throws Exception {
    Path module = ExamplePlugins.dir().getParent().getParent();
    Path out = plugins.resolve("upstream.plugin");
    Path source = module.resolve("src/test/python/upstream");
    Process p = new ProcessBuilder("sh", module.resolve("src/main/python/package.sh").toString(),
            source.toString(), source.toString(), work.toString(), out.toString(), "plugin.proto")
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new AssertionError("packaging the upstream-style plugin failed: " + output);
    }
    assumeTrue(Files.isRegularFile(out), output);
    return out;
  }

  /** The audit file's records that {@code filter} accepts. */
  static List<JsonNode> audit(Path file, Predicate<JsonNode> filter) throws IOException {
    List<JsonNode> records = new ArrayList<>();
    if (!Files.exists(file)) {
      return records;
    }
    for (String line : Files.readAllLines(file)) {
      JsonNode r = JSON.readTree(line);
      if (filter.test(r)) {
        records.add(r);
      }
    }
    return records;
  }

  /** Whether {@code r} is a record of a call from {@code caller} to {@code target} decided {@code decision}. */
  static boolean is(JsonNode r, String caller, String target, String decision) {
    return r.path("caller").asText().equals(caller) && r.path("target").asText().equals(target)
        && r.path("decision").asText().equals(decision);
  }
}
