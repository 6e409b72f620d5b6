package io.dtac.examples;

import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.PluginCallException;

import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.dtac.broker.server.PluginBroker;
import io.dtac.examples.reliability.TestPlugin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.function.Executable;

/** Helpers for the reliability integration tests: test plugin files, requests, processes. */
final class Fixtures {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String JVM_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -Xshare:auto";

  private Fixtures() {}

  /** The command line that runs {@code mainClass} on the examples' classpath plus the test classes. */
  static String javaCommand(String mainClass, String... args) {
    Path lib = ExamplePlugins.dir().resolveSibling("lib");
    Path testClasses = ExamplePlugins.dir().resolveSibling("test-classes");
    return "'" + Path.of(System.getProperty("java.home"), "bin", "java") + "' " + JVM_OPTS
        + " -cp '" + lib + "/*:" + testClasses + "' " + mainClass + " " + String.join(" ", args);
  }

  /** A plugin file {@code <name in lower case>.plugin} in {@code dir} running {@link TestPlugin} as {@code name}. */
  static Path testPlugin(Path dir, String name) throws IOException {
    return ExamplePlugins.script(
        dir, name.toLowerCase(Locale.ROOT) + ".plugin", "exec " + javaCommand(TestPlugin.class.getName(), name));
  }

  static Request params(String... keyValues) {
    Request.Builder b = Request.builder();
    for (int i = 0; i < keyValues.length; i += 2) {
      b.parameter(keyValues[i], keyValues[i + 1]);
    }
    return b.build();
  }

  static Request json(Object body) {
    try {
      return Request.builder().body(JSON.writeValueAsBytes(body)).build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode value(Response response) {
    try {
      return JSON.readTree(response.value());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static PluginCallException failure(Executable call) {
    return assertThrows(PluginCallException.class, call);
  }

  static long pid(PluginBroker broker, String plugin) {
    return broker.plugin(plugin).orElseThrow().pid().orElseThrow();
  }

  static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** Sends {@code signal} (e.g. "KILL", "STOP") to {@code pid} with the real kill command. */
  static void signal(long pid, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
