package io.dtac.broker.server.internal;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts the brokered calls in flight so that shutdown can let them finish: once {@link #drain}
 * begins, new calls are refused with UNAVAILABLE, except the nested calls that calls in flight
 * make (they carry a valid call token, see {@link CallChains}): refusing those would fail the
 * very calls shutdown waits for. Thread-safe and lock-free on the call path.
 */
public final class ShutdownGate {
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean draining;

  /**
   * Admits a call; pair every successful entry with one {@link #exit()}.
   *
   * @param nested whether the call is made by a call in flight
   * @throws StatusRuntimeException UNAVAILABLE when the broker is shutting down
   */
  public void enter(boolean nested) {
    inFlight.incrementAndGet();
    if (draining && !nested) {
      exit();
      throw Status.UNAVAILABLE
          .withDescription("the broker is shutting down and accepts no new calls")
          .asRuntimeException();
    }
  }

  /** A call admitted by {@link #enter} has completed. */
  public void exit() {
    if (inFlight.decrementAndGet() == 0 && draining) {
      synchronized (this) {
        notifyAll();
      }
    }
  }

  /** The number of calls in flight. */
  public int inFlight() {
    return inFlight.get();
  }

  public boolean draining() {
    return draining;
  }

  /**
   * Refuses new calls from now on and waits up to {@code timeout} for the calls in flight.
   *
   * @return whether every call finished in time
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean drain(Duration timeout) throws InterruptedException {
    draining = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while (inFlight.get() > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
    return true;
  }
}
