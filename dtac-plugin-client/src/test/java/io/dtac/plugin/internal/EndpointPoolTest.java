package io.dtac.plugin.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EndpointPoolTest {
  private final AtomicInteger made = new AtomicInteger();
  private final ThreadPoolExecutor pool = EndpointPool.create(4, 2, 30, r -> {
    made.incrementAndGet();
    Thread t = new Thread(r);
    t.setDaemon(true);
    return t;
  });

  @AfterEach
  void stop() throws InterruptedException {
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(5, TimeUnit.SECONDS));
  }

  @Test
  void callsOneAtATimeReuseOneThread() throws Exception {
    Set<Thread> used = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < 50; i++) {
      CountDownLatch done = new CountDownLatch(1);
      pool.execute(() -> {
        used.add(Thread.currentThread());
        done.countDown();
      });
      assertTrue(done.await(5, TimeUnit.SECONDS));
      // The thread goes back to waiting for work after its task; wait until it does.
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() -> pool.getActiveCount() == 0);
    }
    assertEquals(1, made.get(), "a thread is made only when none is idle");
    assertEquals(1, used.size());
  }

  @Test
  void growsToItsMaximumThenQueuesThenRefuses() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch ran = new CountDownLatch(6);
    Runnable blocked = () -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ran.countDown();
    };
    for (int i = 0; i < 6; i++) {
      pool.execute(blocked);
    }
    assertEquals(4, pool.getPoolSize(), "no thread beyond the maximum");
    assertEquals(2, pool.getQueue().size(), "the rest wait");
    RejectedExecutionException e = assertThrows(RejectedExecutionException.class, () -> pool.execute(blocked));
    assertTrue(e.getMessage().contains("all 4 threads are busy and 2 tasks are waiting"), e.getMessage());
    release.countDown();
    assertTrue(ran.await(5, TimeUnit.SECONDS), "the queued tasks ran too");
    pool.shutdown();
    assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> {}));
  }
}
