package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class ShutdownGateTest {
  private final ShutdownGate gate = new ShutdownGate();

  @Test
  void drainWaitsForTheCallsInFlight() throws Exception {
    gate.enter(false);
    CompletableFuture<Boolean> drained = CompletableFuture.supplyAsync(() -> {
      try {
        return gate.drain(Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(gate::draining);
    assertFalse(drained.isDone());
    gate.exit();
    assertTrue(drained.get(5, TimeUnit.SECONDS));
  }

  @Test
  void newCallsAreRefusedWhileDrainingButNestedCallsPass() throws Exception {
    gate.enter(false);
    CompletableFuture.runAsync(() -> {
      try {
        gate.drain(Duration.ofSeconds(30));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(gate::draining);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> gate.enter(false));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals("the broker is shutting down and accepts no new calls", e.getStatus().getDescription());
    gate.enter(true);
    assertEquals(2, gate.inFlight());
    gate.exit();
    gate.exit();
    assertEquals(0, gate.inFlight());
  }

  @Test
  void drainGivesUpAfterItsTimeout() throws Exception {
    gate.enter(false);
    assertFalse(gate.drain(Duration.ofMillis(50)));
    assertEquals(1, gate.inFlight());
  }
}
