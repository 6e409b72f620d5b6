package io.dtac.broker.server.internal;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Exponential backoff with a restart budget: the n-th restart within the sliding window waits
 * {@code initial * 2^n}, at most {@code max}; once {@code maxRestarts} restarts fall within the
 * window, no further restart is allowed until the oldest leaves it. Time is passed in, so the
 * policy is testable without waiting. Thread-safe.
 */
public final class Backoff {
  private final long initialMillis;
  private final long maxMillis;
  private final int maxRestarts;
  private final long windowMillis;
  private final Deque<Long> restarts = new ArrayDeque<>();

  public Backoff(Duration initial, Duration max, int maxRestarts, Duration window) {
    this.initialMillis = initial.toMillis();
    this.maxMillis = max.toMillis();
    this.maxRestarts = maxRestarts;
    this.windowMillis = window.toMillis();
  }

  /**
   * The delay before the next restart, or -1 when the restart budget of the window is spent.
   *
   * @param nowMillis the current time, from a monotonic clock
   */
  public synchronized long nextDelayMillis(long nowMillis) {
    prune(nowMillis);
    int n = restarts.size();
    if (n >= maxRestarts) {
      return -1;
    }
    long delay = initialMillis;
    for (int i = 0; i < n && delay < maxMillis; i++) {
      delay *= 2;
    }
    return Math.min(delay, maxMillis);
  }

  /** Records a restart at {@code nowMillis}. */
  public synchronized void restarted(long nowMillis) {
    prune(nowMillis);
    restarts.addLast(nowMillis);
  }

  /** Restarts recorded within the window ending at {@code nowMillis}. */
  public synchronized int restartsWithinWindow(long nowMillis) {
    prune(nowMillis);
    return restarts.size();
  }

  /** Forgets every restart (after an operator's reload). */
  public synchronized void reset() {
    restarts.clear();
  }

  private void prune(long nowMillis) {
    while (!restarts.isEmpty() && restarts.peekFirst() <= nowMillis - windowMillis) {
      restarts.removeFirst();
    }
  }
}
