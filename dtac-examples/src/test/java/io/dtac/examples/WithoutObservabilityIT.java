package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Micrometer and OpenTelemetry are optional dependencies of dtac-broker-server: a host that adds
 * neither runs a broker and brokered calls without them on its classpath, and a host that has them
 * on its classpath but configures neither loads none of their classes (README "Observability").
 * Real processes: {@link PlainHost} in its own JVM, with the real hello plugin.
 */
class WithoutObservabilityIT {
  @TempDir Path tmp;

  @Test
  void aBrokerWithoutEitherLibraryOnItsClasspathServesCalls() throws Exception {
    List<Path> classpath = classpath(jar -> !isObservability(jar));
    assertTrue(classpath.stream().noneMatch(WithoutObservabilityIT::isObservability));
    Run run = runPlainHost(classpath);
    assertEquals(0, run.exit, run.output);
    assertTrue(run.output.contains("answer: {\"message\":\"Hello from HelloPlugin\"}"), run.output);
  }

  @Test
  void withBothOnTheClasspathButNeitherConfiguredNoneOfTheirClassesIsLoaded() throws Exception {
    List<Path> classpath = classpath(jar -> true);
    assertTrue(classpath.stream().anyMatch(WithoutObservabilityIT::isObservability),
        "the examples' classpath has Micrometer and OpenTelemetry, so loading them would be possible");
    Run run = runPlainHost(classpath);
    assertEquals(0, run.exit, run.output);
    assertTrue(run.output.contains("answer: "), run.output);
    List<String> loaded;
    try (Stream<String> lines = Files.lines(run.classLog)) {
      loaded = lines.filter(l -> l.contains("io.micrometer.") || l.contains("io.opentelemetry.")).collect(Collectors.toList());
    }
    assertTrue(Files.size(run.classLog) > 0, "the JVM logged its class loading");
    assertEquals(List.of(), loaded, "classes of Micrometer or OpenTelemetry loaded by a broker that uses neither");
  }

  private static boolean isObservability(Path jar) {
    String name = jar.getFileName().toString();
    return name.startsWith("micrometer-") || name.startsWith("opentelemetry-");
  }

  /** The examples' runtime jars that pass {@code keep}, and the test classes (for PlainHost). */
  private static List<Path> classpath(java.util.function.Predicate<Path> keep) throws IOException {
    Path lib = ExamplePlugins.dir().resolveSibling("lib");
    List<Path> jars;
    try (Stream<Path> files = Files.list(lib)) {
      jars = files.filter(p -> p.toString().endsWith(".jar")).filter(keep).sorted().collect(Collectors.toList());
    }
    List<Path> classpath = new ArrayList<>(jars);
    classpath.add(ExamplePlugins.dir().resolveSibling("test-classes"));
    return classpath;
  }

  private record Run(int exit, String output, Path classLog) {}

  private Run runPlainHost(List<Path> classpath) throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp, "hello.plugin");
    Path classLog = tmp.resolve("classes.log");
    Path out = tmp.resolve("out.txt");
    List<String> command = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-Xlog:class+load=info:file=" + classLog,
        "-cp", classpath.stream().map(Path::toString).collect(Collectors.joining(":")),
        PlainHost.class.getName(), plugins.toString());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        throw new AssertionError("PlainHost did not finish in 60 s: " + Files.readString(out));
      }
    } finally {
      p.destroyForcibly();
    }
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), classLog);
  }
}
