package io.dtac.examples.agent;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Counts the requests the gateway is serving, so that closing can refuse new ones and wait for
 * those in flight. Thread-safe; every successful {@link #enter()} must be paired with one {@link
 * #leave()}.
 */
final class InFlightRequests {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition idle = lock.newCondition();
  private int inFlight;
  private boolean closed;

  /** Admits a request; {@code false} once {@link #close} has begun, and the request is refused. */
  boolean enter() {
    lock.lock();
    try {
      if (closed) {
        return false;
      }
      inFlight++;
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** A request admitted by {@link #enter()} is done. */
  void leave() {
    lock.lock();
    try {
      if (--inFlight == 0) {
        idle.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Whether {@link #close} has begun. */
  boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Admits no more requests, then waits up to {@code grace} for those in flight to leave.
   *
   * @return {@code false} if it was already closed (it does not wait again), {@code true} otherwise,
   *     whether or not every request left in time
   * @throws InterruptedException if interrupted while waiting; it is closed all the same
   */
  boolean close(Duration grace) throws InterruptedException {
    lock.lock();
    try {
      if (closed) {
        return false;
      }
      closed = true;
      long remaining = grace.toNanos();
      while (inFlight > 0 && remaining > 0) {
        remaining = idle.awaitNanos(remaining);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }
}
