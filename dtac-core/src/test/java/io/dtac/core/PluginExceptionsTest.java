package io.dtac.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** The two failure types: PluginException (an endpoint answers with a status) and PluginCallException (a call failed). */
class PluginExceptionsTest {
  @Test
  void aPluginExceptionCarriesItsCodeMessageAndCause() {
    IOException cause = new IOException("disk full");
    PluginException e = new PluginException(StatusCode.UNAVAILABLE, "cannot store it now", cause);
    assertEquals(StatusCode.UNAVAILABLE, e.code());
    assertEquals("cannot store it now", e.getMessage(), "the message alone: the status carries the code");
    assertSame(cause, e.getCause());
    assertNull(new PluginException(StatusCode.ABORTED, "x").getCause());
  }

  @Test
  void theFactoriesNameTheirCodes() {
    assertEquals(StatusCode.INVALID_ARGUMENT, PluginException.invalidArgument("x").code());
    assertEquals(StatusCode.NOT_FOUND, PluginException.notFound("x").code());
    assertEquals(StatusCode.FAILED_PRECONDITION, PluginException.failedPrecondition("x").code());
  }

  @Test
  void aCodeIsRequired() {
    assertEquals("code", assertThrows(NullPointerException.class, () -> new PluginException(null, "x")).getMessage());
    assertEquals("code", assertThrows(NullPointerException.class,
        () -> new PluginException(null, "x", new IOException())).getMessage());
    assertEquals("code", assertThrows(NullPointerException.class, () -> new PluginCallException(null, "x")).getMessage());
  }

  @Test
  void aPluginCallExceptionKeepsTheDescriptionApartFromItsMessage() {
    IOException cause = new IOException("reset");
    PluginCallException e = new PluginCallException(StatusCode.UNAVAILABLE, "plugin 'X' is not running", cause);
    assertEquals(StatusCode.UNAVAILABLE, e.code());
    assertEquals("plugin 'X' is not running", e.description());
    assertEquals("UNAVAILABLE: plugin 'X' is not running", e.getMessage());
    assertSame(cause, e.getCause());
  }

  @Test
  void aPluginCallExceptionMayHaveNoDescription() {
    PluginCallException e = new PluginCallException(StatusCode.CANCELLED, null);
    assertNull(e.description());
    assertEquals("CANCELLED: null", e.getMessage());
  }

  @Test
  void notInitializedIsTheMessageOfAPluginWithoutABroker() {
    assertEquals("broker client is not initialized", PluginCallException.NOT_INITIALIZED);
  }
}
