package io.dtac.broker.server.internal;

import java.util.ArrayDeque;
import java.util.Queue;

/**
 * The state events of one plugin, delivered one at a time in the order they were added: events
 * are added while the lock that orders the changes is held, and delivered after it is released,
 * by the thread that added them or, if another thread is delivering this plugin's earlier events
 * at that moment, by that thread right after them. A listener that causes a change of the same
 * plugin sees its event after its own call returns. Thread-safe.
 */
final class StateEvents {
  private final Queue<Runnable> pending = new ArrayDeque<>();
  private boolean delivering;

  /** Queues {@code delivery}; call it while holding the lock under which the change was made. */
  synchronized void add(Runnable delivery) {
    pending.add(delivery);
  }

  /** Delivers the queued events, unless another thread is already doing so. */
  void deliver() {
    synchronized (this) {
      if (delivering) {
        return;
      }
      delivering = true;
    }
    boolean drained = false;
    try {
      while (true) {
        Runnable next;
        synchronized (this) {
          next = pending.poll();
          if (next == null) {
            delivering = false;
            drained = true;
            return;
          }
        }
        next.run();
      }
    } finally {
      if (!drained) {
        synchronized (this) {
          delivering = false;
        }
      }
    }
  }
}
