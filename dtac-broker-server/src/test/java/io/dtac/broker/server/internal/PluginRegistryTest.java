package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.broker.server.PluginStateListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The events listeners get: per plugin in the order of its changes, each describing its own change. */
class PluginRegistryTest {
  /** One event as the listener saw it. */
  private record Seen(PluginState from, PluginState to, String failure) {}

  /** Records every event of plugin "P", in the order the listener is called. */
  private static final class Recorder implements PluginStateListener {
    final List<Seen> seen = new ArrayList<>();
    final AtomicInteger concurrent = new AtomicInteger();
    volatile boolean overlapped;

    @Override
    public void onStateChange(PluginInfo plugin, PluginState from) {
      if (concurrent.incrementAndGet() > 1) {
        overlapped = true;
      }
      synchronized (seen) {
        seen.add(new Seen(from, plugin.state(), plugin.failure().orElse(null)));
      }
      Thread.yield();
      concurrent.decrementAndGet();
    }
  }

  @Test
  void eachPluginsEventsArriveOneAtATimeInOrderAndDescribeTheirOwnTransition() throws Exception {
    Recorder recorder = new Recorder();
    PluginRegistry registry = new PluginRegistry(List.of(recorder));
    LoadedPlugin plugin = new LoadedPlugin("P", "p", null);
    registry.add(plugin);
    registry.running(plugin, List.of(), "p");

    // Threads race the cycle RUNNING -> FAILED -> RESTARTING -> RUNNING with compare-and-set
    // transitions, as crash reports, restarts and reloads do; each failure names its state.
    int threads = 6;
    int attempts = 400;
    AtomicInteger changes = new AtomicInteger();
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      done.add(pool.submit(() -> {
        go.await();
        for (int i = 0; i < attempts; i++) {
          boolean changed = switch (i % 3) {
            case 0 -> registry.transitionFrom(plugin, Set.of(PluginState.RUNNING), PluginState.FAILED, "FAILED");
            case 1 -> registry.transitionFrom(
                plugin, Set.of(PluginState.FAILED), PluginState.RESTARTING, "RESTARTING");
            default -> registry.running(plugin, List.of(), "p");
          };
          if (changed) {
            changes.incrementAndGet();
          }
        }
        return null;
      }));
    }
    go.countDown();
    for (Future<?> f : done) {
      f.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();
    registry.transition(plugin, PluginState.STOPPED, null);

    List<Seen> seen;
    synchronized (recorder.seen) {
      seen = List.copyOf(recorder.seen);
    }
    assertFalse(recorder.overlapped, "the listener was called for one plugin on two threads at once");
    assertEquals(changes.get() + 3, seen.size(), "one event per change (plus add, first RUNNING and STOPPED)");
    assertEquals(new Seen(null, PluginState.STARTING, null), seen.get(0));
    for (int i = 1; i < seen.size(); i++) {
      Seen e = seen.get(i);
      assertEquals(seen.get(i - 1).to(), e.from(), "event " + i + " does not follow event " + (i - 1) + ": " + seen);
      if (e.to() == PluginState.FAILED || e.to() == PluginState.RESTARTING) {
        assertEquals(e.to().name(), e.failure(), "event " + i + " shows another change's failure");
      }
    }
    assertEquals(PluginState.STOPPED, seen.get(seen.size() - 1).to());
  }

  @Test
  void aChangeMadeByAListenerIsReportedAfterTheEventThatCausedIt() {
    List<String> seen = new ArrayList<>();
    PluginRegistry[] registry = new PluginRegistry[1];
    LoadedPlugin plugin = new LoadedPlugin("P", "p", null);
    registry[0] = new PluginRegistry(List.of((info, from) -> {
      seen.add(from + " -> " + info.state());
      if (info.state() == PluginState.FAILED) {
        registry[0].transition(plugin, PluginState.RESTARTING, info.failure().orElse(null));
      }
      seen.add("end " + info.state());
    }));
    registry[0].add(plugin);
    registry[0].transition(plugin, PluginState.FAILED, "crashed");
    assertEquals(
        List.of("null -> STARTING", "end STARTING", "STARTING -> FAILED", "end FAILED",
            "FAILED -> RESTARTING", "end RESTARTING"),
        seen);
  }

  @Test
  void aStoppedPluginStaysStoppedWhateverIsReportedLater() {
    List<String> seen = new ArrayList<>();
    PluginRegistry registry = new PluginRegistry(List.of((info, from) -> seen.add(from + " -> " + info.state())));
    LoadedPlugin plugin = new LoadedPlugin("P", "p", null);
    registry.add(plugin);
    assertTrue(registry.transition(plugin, PluginState.STOPPED, null));

    assertFalse(registry.running(plugin, List.of(), "p"), "a registration that finishes after the stop");
    assertFalse(registry.transition(plugin, PluginState.FAILED, "Register failed"), "a failure reported after the stop");
    assertFalse(registry.restarting(plugin), "a reload that comes after the stop");
    assertEquals(PluginState.STOPPED, plugin.state());
    assertEquals(List.of("null -> STARTING", "STARTING -> STOPPED"), seen);
  }
}
