package io.dtac.examples;

import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.StatusCode;

import static io.dtac.examples.Fixtures.json;
import static io.dtac.examples.Fixtures.params;
import static io.dtac.examples.Fixtures.pid;
import static io.dtac.examples.Fixtures.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.grpc.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load with a crash in the middle: 32 callers make thousands of brokered calls, directly and
 * through a relay plugin (two hops), while the target plugin is killed and restarted. Every
 * call succeeds with its own nonce or fails with UNAVAILABLE; none hangs; afterwards the broker's
 * threads and file descriptors are back to where they were.
 */
class SoakIT {
  private static final int CALLERS = 32;
  private static final int MIN_CALLS = 3000;
  private static final int MIN_SUCCESSES = 1500;
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

  @TempDir Path tmp;

  private static int threads() {
    return ManagementFactory.getThreadMXBean().getThreadCount();
  }

  private static long fds() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One call with a fresh nonce; answers null on success, or a description of what went wrong. */
  private static String oneCall(PluginBroker broker, String nonce) {
    boolean viaRelay = ThreadLocalRandom.current().nextBoolean();
    try {
      JsonNode answer = viaRelay
          ? value(broker.call("Relay", "relay", Action.CREATE,
              json(Map.of("path", List.of("Echo"), "method", "echo", "params", Map.of("nonce", nonce))), CALL_TIMEOUT))
          : value(broker.call("Echo", "echo", Action.READ, params("nonce", nonce), CALL_TIMEOUT));
      if (!nonce.equals(answer.get("nonce").asText())) {
        return "WRONG CALLER: sent nonce " + nonce + ", got " + answer;
      }
      String caller = viaRelay ? "Relay" : "agent";
      if (!caller.equals(answer.get("caller").asText())) {
        return "wrong caller identity: expected " + caller + ", got " + answer;
      }
      return null;
    } catch (PluginCallException e) {
      return e.code() == StatusCode.UNAVAILABLE ? "UNAVAILABLE" : "undocumented: " + e.getMessage();
    }
  }

  @Test
  void concurrentCallersSurviveATargetKilledMidwayAndLeakNothing() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp);
    Fixtures.testPlugin(plugins, "Echo");
    Fixtures.testPlugin(plugins, "Relay");
    try (PluginBroker broker = PluginBroker.builder()
        .pluginDirectory(plugins)
        .handshakeTimeout(Duration.ofSeconds(30))
        .restartBackoff(Duration.ofMillis(100), Duration.ofMillis(500))
        .maxRestarts(10, Duration.ofMinutes(1))
        .build()
        .start()) {
      for (PluginInfo p : broker.plugins()) {
        assertEquals(PluginState.RUNNING, p.state(), p.toString());
      }
      ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
      AtomicInteger done = new AtomicInteger();
      AtomicInteger unavailable = new AtomicInteger();
      AtomicInteger succeeded = new AtomicInteger();
      ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
      AtomicBoolean stop = new AtomicBoolean();
      Runnable caller = () -> {
        for (int i = 0; !stop.get(); i++) {
          String problem = oneCall(broker, Thread.currentThread().getName() + "-" + i + "-" + ThreadLocalRandom.current().nextLong());
          done.incrementAndGet();
          if (problem == null) {
            succeeded.incrementAndGet();
          } else if ("UNAVAILABLE".equals(problem)) {
            unavailable.incrementAndGet();
            // Back off a little, as a real caller would, rather than spin while Echo restarts.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
          } else {
            wrong.add(problem);
          }
        }
      };

      // Warm up at full concurrency, so that pools have their working size before measuring.
      List<Future<?>> warmup = new ArrayList<>();
      for (int t = 0; t < CALLERS; t++) {
        warmup.add(callers.submit(() -> {
          for (int i = 0; i < 5; i++) {
            String problem = oneCall(broker, "warmup-" + i);
            if (problem != null) {
              wrong.add(problem);
            }
          }
        }));
      }
      for (Future<?> f : warmup) {
        f.get(120, TimeUnit.SECONDS);
      }
      int baseThreads = threads();
      long baseFds = fds();

      List<Future<?>> running = new ArrayList<>();
      for (int t = 0; t < CALLERS; t++) {
        running.add(callers.submit(caller));
      }
      List<Long> killed = new ArrayList<>();
      Awaitility.await("traffic before the kill").atMost(Duration.ofSeconds(60))
          .until(() -> succeeded.get() >= 300);
      long echo = pid(broker, "Echo");
      killed.add(echo);
      Fixtures.signal(echo, "KILL");
      Awaitility.await("Echo restarted").atMost(Duration.ofSeconds(60)).until(() ->
          broker.plugin("Echo").map(p -> p.state() == PluginState.RUNNING && p.pid().orElse(echo) != echo).orElse(false));
      int afterRestart = succeeded.get();
      Awaitility.await("enough traffic").atMost(Duration.ofSeconds(60))
          .until(() -> done.get() >= MIN_CALLS
              && succeeded.get() >= Math.max(MIN_SUCCESSES, afterRestart + 300));
      stop.set(true);
      for (Future<?> f : running) {
        f.get(CALL_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS);
      }
      callers.shutdown();
      assertTrue(callers.awaitTermination(10, TimeUnit.SECONDS));

      assertTrue(wrong.isEmpty(), wrong.size() + " bad answers, e.g. " + wrong.peek());
      assertTrue(done.get() >= MIN_CALLS && succeeded.get() >= MIN_SUCCESSES,
          done.get() + " calls, " + succeeded.get() + " succeeded");
      assertEquals(done.get(), succeeded.get() + unavailable.get());
      assertTrue(unavailable.get() > 0, "the kills should have failed some calls with UNAVAILABLE");
      killed.forEach(pid -> assertTrue(!Fixtures.alive(pid)));
      Awaitility.await("threads and file descriptors back to their starting level")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> threads() <= baseThreads + 4 && fds() <= baseFds + 4);
      System.out.printf("soak: %d calls, %d succeeded, %d UNAVAILABLE around a restart; threads %d -> %d, fds %d -> %d%n",
          done.get(), succeeded.get(), unavailable.get(), baseThreads, threads(), baseFds, fds());
    }
  }
}
