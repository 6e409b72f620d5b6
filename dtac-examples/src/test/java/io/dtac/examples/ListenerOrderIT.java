package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listener under concurrent crashes and reloads of real plugin processes: each plugin's
 * events arrive in the order of its transitions, and each describes its own transition. The
 * listener is slow with FAILED events (as one that pages someone might be), so that a reload made
 * as soon as a plugin is FAILED reports its RESTARTING while the FAILED event is still being
 * delivered on the thread that saw the crash.
 */
class ListenerOrderIT {
  private static final List<String> NAMES = List.of("Alpha", "Beta", "Gamma");
  private static final int ROUNDS = 3;

  @TempDir Path tmp;

  /** One listener call. */
  private record Event(PluginState from, PluginInfo plugin) {
    @Override
    public String toString() {
      return from + " -> " + plugin.state() + " pid " + plugin.pid() + plugin.failure().map(f -> " (" + f + ")").orElse("");
    }
  }

  /** A listener's slow work, e.g. sending an alert. */
  private static void slowly() {
    try {
      TimeUnit.MILLISECONDS.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void eachPluginsEventsArriveInOrderWhileItIsKilledAndReloadedAtOnce() throws Exception {
    Path plugins = Files.createDirectories(tmp.resolve("plugins"));
    for (String name : NAMES) {
      Fixtures.testPlugin(plugins, name);
    }
    Map<String, List<Event>> events = new ConcurrentHashMap<>();
    PluginBroker broker = PluginBroker.builder()
        .pluginDirectory(plugins)
        .handshakeTimeout(Duration.ofSeconds(60))
        .stopTimeout(Duration.ofSeconds(2))
        .restartBackoff(Duration.ofMillis(20), Duration.ofMillis(20))
        .maxRestarts(1_000, Duration.ofMinutes(10))
        .listener((plugin, from) -> {
          if (plugin.state() == PluginState.FAILED) {
            slowly();
          }
          List<Event> mine = events.computeIfAbsent(plugin.name(), n -> new ArrayList<>());
          synchronized (mine) {
            mine.add(new Event(from, plugin));
          }
        })
        .build()
        .start();
    ExecutorService pool = Executors.newFixedThreadPool(NAMES.size());
    try {
      for (int round = 0; round < ROUNDS; round++) {
        // Per plugin, all at once: kill -9 its process and reload it as soon as it is FAILED;
        // the crash's report and the supervisor's own restart race the reload.
        List<Future<?>> work = new ArrayList<>();
        for (String name : NAMES) {
          long pid = broker.plugin(name).orElseThrow().pid().orElseThrow();
          work.add(pool.submit(() -> {
            Fixtures.signal(pid, "KILL");
            Awaitility.await(name + " FAILED").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1))
                .until(() -> broker.plugin(name).orElseThrow().state() != PluginState.RUNNING);
            return broker.reload(name);
          }));
        }
        for (Future<?> f : work) {
          f.get(120, TimeUnit.SECONDS);
        }
        Awaitility.await("every plugin RUNNING again").atMost(Duration.ofSeconds(120)).until(() ->
            NAMES.stream().allMatch(n -> broker.plugin(n).orElseThrow().state() == PluginState.RUNNING));
      }
    } finally {
      pool.shutdownNow();
      broker.close();
    }

    for (String name : NAMES) {
      List<Event> mine;
      synchronized (events.get(name)) {
        mine = List.copyOf(events.get(name));
      }
      String all = name + ":\n  " + String.join("\n  ", mine.stream().map(Event::toString).toList());
      assertNull(mine.get(0).from(), all);
      assertEquals(PluginState.STARTING, mine.get(0).plugin().state(), all);
      long lastRunningPid = 0;
      int running = 0;
      for (int i = 1; i < mine.size(); i++) {
        Event e = mine.get(i);
        assertEquals(mine.get(i - 1).plugin().state(), e.from(), "event " + i + " does not follow the one before\n" + all);
        PluginInfo p = e.plugin();
        switch (p.state()) {
          case RUNNING -> {
            running++;
            assertFalse(p.endpoints().isEmpty(), "event " + i + ": RUNNING without endpoints\n" + all);
            long pid = p.pid().orElseThrow();
            assertNotEquals(lastRunningPid, pid, "event " + i + ": RUNNING again without a new process\n" + all);
            lastRunningPid = pid;
          }
          case RESTARTING -> assertTrue(p.pid().isEmpty(), "event " + i + ": RESTARTING names a process\n" + all);
          case FAILED -> assertTrue(p.failure().isPresent(), "event " + i + ": FAILED without a reason\n" + all);
          case STOPPED -> assertEquals(mine.size() - 1, i, "event " + i + ": STOPPED is the last\n" + all);
          case STARTING -> throw new AssertionError("event " + i + ": STARTING again\n" + all);
        }
      }
      assertTrue(running > ROUNDS, "a reload or restart per round at least\n" + all);
      assertEquals(PluginState.STOPPED, mine.get(mine.size() - 1).plugin().state(), all);
    }
  }
}
