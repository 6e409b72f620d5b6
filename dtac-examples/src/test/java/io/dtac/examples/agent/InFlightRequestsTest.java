package io.dtac.examples.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class InFlightRequestsTest {
  @Test
  void aClosedGateAdmitsNoRequestAndClosesOnce() throws InterruptedException {
    InFlightRequests gate = new InFlightRequests();
    assertFalse(gate.isClosed());
    assertTrue(gate.close(Duration.ZERO));
    assertTrue(gate.isClosed());
    assertFalse(gate.enter());
    assertFalse(gate.close(Duration.ofMinutes(1)));
  }

  @Test
  void closeWaitsForTheLastRequestInFlightToLeave() throws Exception {
    InFlightRequests gate = new InFlightRequests();
    assertTrue(gate.enter());
    assertTrue(gate.enter());
    AtomicReference<Thread> closer = new AtomicReference<>();
    CompletableFuture<Boolean> closed = CompletableFuture.supplyAsync(() -> {
      closer.set(Thread.currentThread());
      try {
        return gate.close(Duration.ofMinutes(1));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(gate::isClosed);
    assertFalse(gate.enter());
    gate.leave();
    await().atMost(Duration.ofSeconds(10))
        .until(() -> closer.get() != null && closer.get().getState() == Thread.State.TIMED_WAITING);
    assertFalse(closed.isDone());
    gate.leave();
    assertTrue(closed.get(10, TimeUnit.SECONDS));
  }

  @Test
  void closeGivesUpWaitingAfterTheGracePeriod() throws InterruptedException {
    InFlightRequests gate = new InFlightRequests();
    assertTrue(gate.enter());
    assertTrue(gate.close(Duration.ofMillis(1)));
    assertTrue(gate.isClosed());
  }

  @Test
  void anInterruptedCloseIsClosedAllTheSame() {
    InFlightRequests gate = new InFlightRequests();
    assertTrue(gate.enter());
    Thread.currentThread().interrupt();
    try {
      gate.close(Duration.ofMinutes(1));
      throw new AssertionError("close() waited although interrupted");
    } catch (InterruptedException expected) {
      assertTrue(gate.isClosed());
      assertFalse(gate.enter());
    } finally {
      Thread.interrupted();
    }
  }
}
