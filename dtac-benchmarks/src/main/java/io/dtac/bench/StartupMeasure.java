package io.dtac.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Times the example agent from process start to "both example plugins registered": the wall
 * clock from just before this JVM forks {@link StartupProbe} until the probe prints READY.
 */
final class StartupMeasure {
  private StartupMeasure() {}

  /** The start-up times of {@code runs} fresh agents, in milliseconds. */
  static List<Double> run(Path benchDir, int runs) throws IOException, InterruptedException {
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      times.add(once(benchDir));
    }
    return times;
  }

  private static double once(Path benchDir) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-cp",
            benchDir.resolve("lib") + "/*",
            StartupProbe.class.getName(),
            benchDir.resolve("example-plugins").toString());
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    long t0 = System.nanoTime();
    Process p = pb.start();
    // A probe that hangs must not hang the benchmark: kill it after a minute.
    CompletableFuture<Void> watchdog =
        CompletableFuture.runAsync(
            () -> {
              p.descendants().forEach(ProcessHandle::destroyForcibly);
              p.destroyForcibly();
            },
            CompletableFuture.delayedExecutor(60, TimeUnit.SECONDS));
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line = out.readLine();
      long t1 = System.nanoTime();
      if (line == null || !line.equals("READY")) {
        throw new IllegalStateException("the example agent did not get ready: " + line);
      }
      return (t1 - t0) / 1e6;
    } finally {
      watchdog.cancel(false);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
    }
  }
}
