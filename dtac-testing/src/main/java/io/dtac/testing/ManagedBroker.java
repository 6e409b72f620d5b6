package io.dtac.testing;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real broker the kit started or was handed, with every plugin process it was seen to run, so
 * that closing it can check that none is left.
 */
final class ManagedBroker implements AutoCloseable {
  private final Map<ProcessHandle, String> processes = new ConcurrentHashMap<>();
  private final long exitWaitMillis;
  private volatile PluginBroker broker;

  /** Waits up to 5 s for a process that is still alive when the broker's close returns. */
  ManagedBroker() {
    this(5_000);
  }

  ManagedBroker(long exitWaitMillis) {
    this.exitWaitMillis = exitWaitMillis;
  }

  /** A state listener for the broker's builder: notes each plugin process; quick, never throws. */
  void onStateChange(PluginInfo plugin, PluginState from) {
    try {
      plugin.pid().ifPresent(pid -> ProcessHandle.of(pid).ifPresent(h -> processes.put(h, plugin.name())));
    } catch (RuntimeException ignored) {
      // a listener must not throw; close() looks at the plugins again anyway
    }
  }

  void attach(PluginBroker broker) {
    this.broker = broker;
  }

  PluginBroker broker() {
    return broker;
  }

  /**
   * Closes the broker, then checks that every plugin process it ran, and every child of one, is
   * gone; kills any that is not.
   *
   * @throws AssertionError naming the processes that were still alive
   */
  @Override
  public void close() {
    PluginBroker b = broker;
    if (b == null) {
      return;
    }
    broker = null;
    for (PluginInfo p : b.plugins()) {
      onStateChange(p, null);
    }
    Map<ProcessHandle, String> all = new LinkedHashMap<>();
    processes.forEach((h, name) -> {
      all.put(h, name);
      h.descendants().forEach(d -> all.put(d, name + " (a child process)"));
    });
    b.close();
    List<String> alive = new ArrayList<>();
    boolean interrupted = Thread.interrupted();
    for (Map.Entry<ProcessHandle, String> e : all.entrySet()) {
      ProcessHandle h = e.getKey();
      if (h.isAlive() && !interrupted) {
        try {
          h.onExit().get(exitWaitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ie) {
          interrupted = true;
        } catch (ExecutionException | TimeoutException ignored) {
          // still alive: reported below
        }
      }
      if (h.isAlive()) {
        h.destroyForcibly();
        alive.add(h.pid() + " (" + e.getValue() + ")");
      }
    }
    processes.clear();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (!alive.isEmpty()) {
      throw new AssertionError("plugin processes still alive after PluginBroker.close(): " + String.join(", ", alive)
          + "; the test kit killed them");
    }
  }
}
