package io.dtac.bench.plugin;

import java.lang.management.ManagementFactory;

/**
 * The CPU time (user + system, all threads) this process has used. CPU per call barely depends on
 * what else the machine runs, unlike latency, so it is the figure to trust on a busy machine.
 */
public final class ProcessCpu {
  private ProcessCpu() {}

  /** Nanoseconds of CPU time used by this JVM so far; -1 where the JVM cannot tell. */
  public static long nanos() {
    java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    return -1;
  }
}
