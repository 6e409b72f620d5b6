package io.dtac.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.core.Action;
import io.dtac.core.Response;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Endpoint.Builder: one handler, synchronous or asynchronous, and the endpoint's declared properties. */
class EndpointTest {
  private static final EndpointHandler SYNC = request -> Response.text("now");
  private static final AsyncEndpointHandler ASYNC = request -> CompletableFuture.completedFuture(Response.text("later"));

  @Test
  void anAsyncHandlerMakesAnAsynchronousEndpointThatRunsOnTheTransportThread() {
    Endpoint e = Endpoint.builder(Action.READ, "greeting").asyncHandler(ASYNC).build();
    assertSame(ASYNC, e.asyncHandler());
    assertNull(e.handler());
    assertTrue(e.nonBlocking(), "an asynchronous handler must not block, so it runs on the transport thread");
  }

  @Test
  void aSynchronousEndpointHasNoAsyncHandlerAndBlocksByDefault() {
    Endpoint e = Endpoint.builder(Action.READ, "hello").handler(SYNC).build();
    assertSame(SYNC, e.handler());
    assertNull(e.asyncHandler());
    assertFalse(e.nonBlocking());
    assertTrue(Endpoint.builder(Action.READ, "hello").handler(SYNC).nonBlocking().build().nonBlocking());
  }

  @Test
  void anEndpointWithBothHandlersIsRefused() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Endpoint.builder(Action.READ, "x").handler(SYNC).asyncHandler(ASYNC).build());
    assertEquals("endpoint read:x has both a handler and an async handler; give it one", e.getMessage());
  }

  @Test
  void anEndpointWithoutAHandlerIsRefused() {
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Endpoint.builder(Action.WRITE, "x").build());
    assertEquals("endpoint write:x has no handler", e.getMessage());
    assertThrows(NullPointerException.class, () -> Endpoint.builder(Action.READ, "x").asyncHandler(null));
  }

  @Test
  void theDeclaredPropertiesAndTheirDefaults() {
    Endpoint plain = Endpoint.builder(Action.CREATE, "calculate").handler(SYNC).build();
    assertEquals(Action.CREATE, plain.action());
    assertEquals("calculate", plain.path());
    assertEquals("create:calculate", plain.methodKey());
    assertEquals("", plain.description());
    assertNull(plain.secure(), "the agent's default");
    assertEquals("user", plain.authGroup());
    assertEquals("", plain.bodySchema());
    assertEquals("", plain.outputSchema());

    Endpoint declared = Endpoint.builder(Action.CREATE, "calculate").handler(SYNC)
        .description("calculates").secure(false).authGroup("admin")
        .bodySchema("{\"type\":\"object\"}").outputSchema("{\"type\":\"number\"}").build();
    assertEquals("calculates", declared.description());
    assertEquals(Boolean.FALSE, declared.secure());
    assertEquals("admin", declared.authGroup());
    assertEquals("{\"type\":\"object\"}", declared.bodySchema());
    assertEquals("{\"type\":\"number\"}", declared.outputSchema());
  }
}
