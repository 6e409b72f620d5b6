package io.dtac.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The resident memory of a process tree (an agent and what it launched), from each process's
 * {@code /proc/PID/status} {@code VmRSS}: the agent itself, each plugin JVM (named by the caller),
 * and the rest (the broker's process-group guards, small shells), in MiB.
 */
final class ProcessTreeMemory {
  private ProcessTreeMemory() {}

  /**
   * One reading.
   *
   * @param agentMib the root process
   * @param pluginsMib the processes of {@code plugins} (name to pid) that were found, by name
   * @param otherMib every other descendant
   * @param processes how many processes were read
   */
  record Reading(double agentMib, Map<String, Double> pluginsMib, double otherMib, int processes) {
    double totalMib() {
      return agentMib + otherMib + pluginsMib.values().stream().mapToDouble(Double::doubleValue).sum();
    }
  }

  static Reading read(ProcessHandle root, Map<String, Long> plugins) {
    Map<Long, String> byPid = new LinkedHashMap<>();
    plugins.forEach((name, pid) -> byPid.put(pid, name));
    Map<String, Double> pluginsMib = new LinkedHashMap<>();
    double other = 0;
    int processes = 1;
    for (ProcessHandle p : (Iterable<ProcessHandle>) root.descendants()::iterator) {
      double mib = rssMib(p.pid());
      if (Double.isNaN(mib)) {
        continue;
      }
      processes++;
      String name = byPid.get(p.pid());
      if (name != null) {
        pluginsMib.put(name, mib);
      } else {
        other += mib;
      }
    }
    return new Reading(rssMib(root.pid()), pluginsMib, other, processes);
  }

  /**
   * Reads until two readings 300 ms apart differ by less than 1% in total (the tree is idle), at
   * most for {@code maxMillis}; returns the last.
   */
  static Reading readIdle(ProcessHandle root, Map<String, Long> plugins, long maxMillis) throws InterruptedException {
    long deadline = System.nanoTime() + maxMillis * 1_000_000L;
    Reading last = read(root, plugins);
    while (System.nanoTime() < deadline) {
      Thread.sleep(300);
      Reading next = read(root, plugins);
      boolean settled = Math.abs(next.totalMib() - last.totalMib()) < 0.01 * last.totalMib();
      last = next;
      if (settled) {
        break;
      }
    }
    return last;
  }

  /** VmRSS of {@code pid} in MiB; NaN if the process is gone (or this is not Linux). */
  static double rssMib(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          String kib = line.substring("VmRSS:".length()).trim().split("\\s+")[0];
          return Long.parseLong(kib) / 1024.0;
        }
      }
      return Double.NaN;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }
}
