package io.dtac.bench.plugin;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The CPU time (user + system, all threads) this process has used, less its JIT compiler threads'.
 * CPU per call barely depends on what else the machine runs, unlike latency, so it is the figure
 * to trust on a busy machine; compilation is left out because it is a one-off cost that a short
 * benchmark would otherwise spread over its calls.
 */
public final class ProcessCpu {
  private ProcessCpu() {}

  /** Nanoseconds of CPU time used by this JVM so far, compilers excluded; -1 where unknown. */
  public static long nanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (!(os instanceof com.sun.management.OperatingSystemMXBean)) {
      return -1;
    }
    return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() - compilerNanos();
  }

  /** The JIT compiler threads' time on CPU, from Linux's per-thread schedstat; 0 elsewhere. */
  private static long compilerNanos() {
    Path tasks = Path.of("/proc/self/task");
    if (!Files.isDirectory(tasks)) {
      return 0;
    }
    long total = 0;
    try (Stream<Path> threads = Files.list(tasks)) {
      for (Path t : (Iterable<Path>) threads::iterator) {
        try {
          if (Files.readString(t.resolve("comm")).contains("CompilerThre")) {
            String schedstat = Files.readString(t.resolve("schedstat"));
            total += Long.parseLong(schedstat.substring(0, schedstat.indexOf(' ')));
          }
        } catch (IOException | RuntimeException gone) {
          // the thread ended meanwhile
        }
      }
    } catch (IOException e) {
      return 0;
    }
    return total;
  }
}
