package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private final Backoff backoff =
      new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), 6, Duration.ofSeconds(60));

  @Test
  void delayDoublesWithEachRestartUpToTheMaximum() {
    long now = 0;
    long[] expected = {100, 200, 400, 800, 1000, 1000};
    for (long delay : expected) {
      assertEquals(delay, backoff.nextDelayMillis(now));
      backoff.restarted(now);
      now += 10;
    }
  }

  @Test
  void restartBudgetIsSpentAfterMaxRestartsWithinTheWindow() {
    for (int i = 0; i < 6; i++) {
      backoff.restarted(i);
    }
    assertEquals(-1, backoff.nextDelayMillis(1_000));
  }

  @Test
  void restartsOlderThanTheWindowNoLongerCount() {
    for (int i = 0; i < 6; i++) {
      backoff.restarted(i);
    }
    assertEquals(100, backoff.nextDelayMillis(60_000 + 10));
    assertEquals(0, backoff.restartsWithinWindow(60_000 + 10));
  }

  @Test
  void resetStartsAfresh() {
    backoff.restarted(0);
    backoff.restarted(1);
    backoff.reset();
    assertEquals(100, backoff.nextDelayMillis(2));
  }

  @Test
  void zeroMaxRestartsNeverRestarts() {
    Backoff never = new Backoff(Duration.ofMillis(100), Duration.ofMillis(100), 0, Duration.ofSeconds(1));
    assertEquals(-1, never.nextDelayMillis(0));
  }
}
