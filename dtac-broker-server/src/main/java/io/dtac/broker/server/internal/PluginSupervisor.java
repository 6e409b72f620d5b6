package io.dtac.broker.server.internal;

import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restarts plugins that fail after they ran: when a plugin that has been RUNNING is reported
 * FAILED ({@link #failed}: its process ended, or it stopped answering health checks), it is
 * restarted after an
 * exponential backoff ({@link Backoff}); when the restart budget of the window is spent it stays
 * FAILED and its failure says so. Plugins that fail while loading the first time are not
 * restarted: that is a configuration problem a restart does not fix.
 *
 * <p>All lifecycle changes of one plugin (restart, {@link #reload}, {@link #unload}, close) are
 * serialized by a per-plugin lock, so a restart never races an unload. Restarts run on
 * {@code worker} threads, never on the thread that reported the failure. The {@link PluginManager}
 * tells it what happened; it tells the launcher what to do: nothing goes round through listeners.
 */
public final class PluginSupervisor {
  private static final Logger LOG = LoggerFactory.getLogger(PluginSupervisor.class);

  /** When and how often failed plugins are restarted; {@code maxRestarts == 0} disables restarts. */
  public record Policy(Duration initialDelay, Duration maxDelay, int maxRestarts, Duration window) {}

  private final Policy policy;
  private final ScheduledExecutorService timer;
  private final Executor worker;
  private final Map<String, Tracker> trackers = new ConcurrentHashMap<>();
  private volatile PluginRegistry registry;
  private volatile PluginLauncher launcher;
  private volatile boolean closed;

  public PluginSupervisor(Policy policy, ScheduledExecutorService timer, Executor worker) {
    this.policy = policy;
    this.timer = timer;
    this.worker = worker;
  }

  /** Starts supervising; until then failures are only recorded. */
  public void start(PluginRegistry registry, PluginLauncher launcher) {
    this.registry = registry;
    this.launcher = launcher;
  }

  private Tracker tracker(String name) {
    return trackers.computeIfAbsent(name, n -> new Tracker(policy));
  }

  /** {@code plugin} reached RUNNING: from now on a failure of it is restarted. */
  public void running(LoadedPlugin plugin) {
    tracker(plugin.name()).everRunning = true;
  }

  /**
   * {@code plugin} turned FAILED on its own (its process ended, or it was killed as unresponsive):
   * a restart is scheduled if it ever ran and the budget allows. Does not block.
   */
  public void failed(LoadedPlugin plugin) {
    Tracker t = trackers.get(plugin.name());
    if (closed || t == null || !t.everRunning || t.removed || launcher == null) {
      return;
    }
    schedule(plugin.name(), t);
  }

  /** After a restart or reload: RUNNING counts as having run; a failure is scheduled again. */
  private void outcome(LoadedPlugin plugin, Tracker t, boolean running) {
    if (running) {
      t.everRunning = true;
    } else if (t.everRunning && !t.removed && !closed) {
      schedule(plugin.name(), t);
    }
  }

  private void schedule(String name, Tracker t) {
    synchronized (t) {
      // One restart at a time: a failure reported while one is pending is the same failure.
      if (t.pending != null) {
        return;
      }
      long delay = t.backoff.nextDelayMillis(now());
      if (delay < 0) {
        worker.execute(() -> giveUp(name, t));
        return;
      }
      LOG.info("plugin {} will be restarted in {} ms", name, delay);
      t.pending = timer.schedule(() -> worker.execute(() -> restart(name, t)), delay, TimeUnit.MILLISECONDS);
    }
  }

  private void restart(String name, Tracker t) {
    synchronized (t) {
      t.pending = null;
    }
    t.lock.lock();
    try {
      LoadedPlugin plugin = registry.get(name);
      if (closed || t.removed || plugin == null || plugin.state() != PluginState.FAILED) {
        return;
      }
      t.backoff.restarted(now());
      outcome(plugin, t, launcher.restart(plugin));
    } catch (RuntimeException e) {
      LOG.error("restarting plugin {} failed unexpectedly", name, e);
    } finally {
      t.lock.unlock();
    }
  }

  private void giveUp(String name, Tracker t) {
    t.lock.lock();
    try {
      LoadedPlugin plugin = registry.get(name);
      if (closed || t.removed || plugin == null || plugin.state() != PluginState.FAILED) {
        return;
      }
      registry.transition(
          plugin,
          PluginState.FAILED,
          plugin.failure() + "; not restarted again: it was restarted " + policy.maxRestarts()
              + " times within " + policy.window().toSeconds() + " s (reload it to try again)");
    } finally {
      t.lock.unlock();
    }
  }

  /**
   * Stops and starts a plugin again from its file (which may have changed), with a fresh restart
   * budget. Blocks until it is RUNNING or FAILED.
   *
   * @return the plugin afterwards, or empty if no plugin has that name
   */
  public Optional<PluginInfo> reload(String name) {
    LoadedPlugin plugin = registry.get(name);
    if (plugin == null) {
      return Optional.empty();
    }
    Tracker t = tracker(name);
    t.lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("the broker is closed");
      }
      cancelPending(t);
      t.backoff.reset();
      outcome(plugin, t, launcher.restart(plugin));
      return Optional.of(plugin.snapshot());
    } finally {
      t.lock.unlock();
    }
  }

  /**
   * Stops a plugin (STOPPED) and forgets it: it is no longer listed or restarted.
   *
   * @return its last state, or empty if no plugin has that name
   */
  public Optional<PluginInfo> unload(String name) {
    LoadedPlugin plugin = registry.get(name);
    if (plugin == null) {
      return Optional.empty();
    }
    Tracker t = tracker(name);
    t.lock.lock();
    try {
      t.removed = true;
      cancelPending(t);
      launcher.stop(plugin);
      registry.remove(plugin);
      trackers.remove(name, t);
      return Optional.of(plugin.snapshot());
    } finally {
      t.lock.unlock();
    }
  }

  /**
   * Stops restarting: cancels pending restarts and waits for those in progress to end, together
   * at most {@code wait}; a restart still running then is left to finish on its own (the launcher
   * is closed by then, so it starts no process and the plugin ends FAILED or STOPPED). If
   * interrupted, stops waiting and restores the interrupt flag. Idempotent.
   */
  public void close(Duration wait) {
    closed = true;
    long deadline = System.nanoTime() + wait.toNanos();
    for (Map.Entry<String, Tracker> e : trackers.entrySet()) {
      Tracker t = e.getValue();
      cancelPending(t);
      try {
        if (t.lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          t.lock.unlock();
        } else {
          LOG.warn("a restart or reload of plugin {} is still running after {} ms; close() does not wait for it",
              e.getKey(), wait.toMillis());
        }
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void cancelPending(Tracker t) {
    synchronized (t) {
      if (t.pending != null) {
        t.pending.cancel(false);
        t.pending = null;
      }
    }
  }

  private static long now() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
  }

  private static final class Tracker {
    final ReentrantLock lock = new ReentrantLock();
    final Backoff backoff;
    volatile boolean everRunning;
    volatile boolean removed;
    ScheduledFuture<?> pending;

    Tracker(Policy policy) {
      this.backoff =
          new Backoff(policy.initialDelay(), policy.maxDelay(), policy.maxRestarts(), policy.window());
    }
  }
}
