package io.dtac.maven.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One run of a plugin file itself, as the agent runs it: its exit code and its output. */
record PluginFileRun(int exit, String output) {
  List<String> lines() {
    return output.lines().toList();
  }

  /** Runs {@code plugin} with {@code args}, with {@code env} on top of an environment of PATH alone. */
  static PluginFileRun of(Path plugin, Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(plugin.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().clear();
    pb.environment().put("PATH", System.getenv("PATH"));
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("did not exit: " + out);
    }
    return new PluginFileRun(p.exitValue(), out);
  }
}
