package io.dtac.bench.plugin;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * A closed-loop load: {@code inFlight} threads, each making one call at a time, back to back, for
 * a warm-up and then a measured window. Latency is recorded for every call that starts inside the
 * window; a thread finishes the call it has in flight when the window closes, and makes at least
 * one measured call even when a cold start made its warm-up calls outlast the window. Throughput
 * is the measured calls over the time from the window's start until the last thread finished.
 */
final class LoadLoop {
  /** One call; throws on failure. */
  interface Call {
    void call() throws Exception;
  }

  /**
   * What a run measured. {@code histogram} holds nanoseconds; {@code allCalls} counts warm-up
   * calls too.
   */
  record Result(Histogram histogram, long windowNanos, long errors, String firstError, long allCalls) {}

  /** Highest latency the histogram tracks: 60 s. */
  private static final long MAX_NANOS = 60_000_000_000L;

  private LoadLoop() {}

  static Result run(Call call, int inFlight, long warmupMillis, long measureMillis)
      throws InterruptedException {
    long start = System.nanoTime();
    long measureFrom = start + warmupMillis * 1_000_000L;
    long end = measureFrom + measureMillis * 1_000_000L;
    long giveUp = end + MAX_NANOS;
    AtomicLong errors = new AtomicLong();
    AtomicLong allCalls = new AtomicLong();
    AtomicLong lastFinish = new AtomicLong(end);
    AtomicReference<String> firstError = new AtomicReference<>();
    List<Histogram> perThread = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < inFlight; i++) {
      Histogram h = new Histogram(MAX_NANOS, 3);
      perThread.add(h);
      Thread t =
          new Thread(
              () -> {
                boolean measured = false;
                long now = System.nanoTime();
                while ((now < end || !measured) && now < giveUp) {
                  long t0 = now;
                  boolean ok = true;
                  try {
                    call.call();
                  } catch (Exception e) {
                    ok = false;
                    firstError.compareAndSet(null, e.toString());
                  }
                  now = System.nanoTime();
                  allCalls.incrementAndGet();
                  if (t0 >= measureFrom) {
                    measured = true;
                    if (ok) {
                      h.recordValue(Math.min(now - t0, MAX_NANOS));
                    } else {
                      errors.incrementAndGet();
                    }
                  }
                }
                lastFinish.accumulateAndGet(now, Math::max);
              },
              "bench-load-" + i);
      t.setDaemon(true);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join();
    }
    Histogram all = new Histogram(MAX_NANOS, 3);
    perThread.forEach(all::add);
    return new Result(all, lastFinish.get() - measureFrom, errors.get(), firstError.get(), allCalls.get());
  }
}
