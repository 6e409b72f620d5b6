package io.dtac.plugin.internal;

import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A bounded pool that makes a thread only when no thread is idle: a task goes to an idle thread if
 * one waits, else to a new thread up to {@code maxThreads}, else to a queue of at most {@code
 * maxQueued}, else it is rejected. (A {@link ThreadPoolExecutor} with a bounded queue either makes a
 * new thread for every task until its core size, idle threads or not, or queues before it grows; a
 * plugin answering one call at a time would keep 64 threads alive for nothing.) Threads end after
 * {@code keepAliveSeconds} idle.
 */
public final class EndpointPool {
  private EndpointPool() {}

  /** Hands a task to a waiting thread only; the pool grows when none waits. */
  private static final class HandOff extends LinkedTransferQueue<Runnable> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean offer(Runnable task) {
      return tryTransfer(task);
    }

    boolean enqueue(Runnable task) {
      return super.offer(task);
    }
  }

  /**
   * @param maxThreads the most threads, all made on demand
   * @param maxQueued the most tasks waiting for a thread when all are busy
   * @param keepAliveSeconds how long an idle thread lives
   * @param threads makes the threads
   * @return the pool; {@code execute} throws {@link RejectedExecutionException} when full or shut down
   */
  public static ThreadPoolExecutor create(int maxThreads, int maxQueued, long keepAliveSeconds, ThreadFactory threads) {
    HandOff queue = new HandOff();
    return new ThreadPoolExecutor(0, maxThreads, keepAliveSeconds, TimeUnit.SECONDS, queue, threads,
        (task, pool) -> {
          // Every thread is busy (the pool is at maxThreads): wait in the bounded queue. A thread
          // that finishes polls the queue before it can go idle, so a queued task is not stranded.
          synchronized (queue) {
            if (!pool.isShutdown() && queue.size() < maxQueued && queue.enqueue(task)) {
              return;
            }
          }
          throw new RejectedExecutionException(pool.isShutdown() ? "the pool is shut down"
              : "all " + maxThreads + " threads are busy and " + maxQueued + " tasks are waiting");
        });
  }
}
