package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RequestSlotsTest {
  @Test
  void aClientHoldingItsShareIs429WithRetryAfterWhileOthersStillGetSlots() throws HttpError {
    RequestSlots slots = new RequestSlots(3, 2);
    slots.enter("a");
    slots.enter("a");
    HttpError e = assertThrows(HttpError.class, () -> slots.enter("a"));
    assertEquals(429, e.status());
    assertTrue(e.getMessage().contains("max_requests_per_client"), e.getMessage());
    assertEquals("1", e.headers().get("Retry-After"));
    slots.enter("b");
    assertEquals(3, slots.inUse());
  }

  @Test
  void whenEverySlotIsTakenANewClientIs503WithRetryAfter() throws HttpError {
    RequestSlots slots = new RequestSlots(2, 2);
    slots.enter("a");
    slots.enter("b");
    HttpError e = assertThrows(HttpError.class, () -> slots.enter("c"));
    assertEquals(503, e.status());
    assertTrue(e.getMessage().contains("(2, threads in the agent's --config file)"), e.getMessage());
    assertEquals("1", e.headers().get("Retry-After"));
  }

  @Test
  void aSlotClosedTwiceIsGivenBackOnce() throws HttpError {
    RequestSlots slots = new RequestSlots(2, 1);
    RequestSlots.Slot s = slots.enter("a");
    s.close();
    s.close();
    assertEquals(0, slots.inUse());
    slots.enter("a");
    assertThrows(HttpError.class, () -> slots.enter("a"));
    slots.enter("b");
    assertThrows(HttpError.class, () -> slots.enter("c"));
  }
}
