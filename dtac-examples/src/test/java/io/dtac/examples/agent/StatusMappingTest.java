package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dtac.core.PluginCallException;
import io.dtac.core.StatusCode;
import io.grpc.Status;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusMappingTest {
  private static final String CYCLE = "call cycle refused: CalculatorPlugin -> HelloPlugin ->"
      + " CalculatorPlugin (plugin 'CalculatorPlugin' is already in this call chain)";
  private static final String TOO_BIG = "the request is 5000000 bytes, more than the broker's"
      + " limit of 4194304 bytes (PluginBrokerBuilder.maxMessageSize)";
  @Test
  void everyErrorCodeHasAnHttpStatus() {
    Map<Status.Code, Integer> expected = new EnumMap<>(Status.Code.class);
    expected.put(Status.Code.INVALID_ARGUMENT, 400);
    expected.put(Status.Code.OUT_OF_RANGE, 400);
    expected.put(Status.Code.PERMISSION_DENIED, 403);
    expected.put(Status.Code.NOT_FOUND, 404);
    expected.put(Status.Code.ALREADY_EXISTS, 409);
    expected.put(Status.Code.ABORTED, 409);
    expected.put(Status.Code.FAILED_PRECONDITION, 409);
    expected.put(Status.Code.RESOURCE_EXHAUSTED, 413);
    expected.put(Status.Code.UNIMPLEMENTED, 501);
    expected.put(Status.Code.INTERNAL, 502);
    expected.put(Status.Code.UNKNOWN, 502);
    expected.put(Status.Code.DATA_LOSS, 502);
    expected.put(Status.Code.UNAUTHENTICATED, 502);
    expected.put(Status.Code.UNAVAILABLE, 503);
    expected.put(Status.Code.CANCELLED, 503);
    expected.put(Status.Code.DEADLINE_EXCEEDED, 504);
    for (Status.Code code : Status.Code.values()) {
      if (code != Status.Code.OK) {
        assertEquals(expected.get(code), StatusMapping.httpStatus(code), code.name());
      }
    }
  }

  @Test
  void okIsNotAnError() {
    assertThrows(IllegalArgumentException.class, () -> StatusMapping.httpStatus(Status.Code.OK));
  }

  @Test
  void aRateLimitRefusalIs429WithRetryAfterAndOtherResourceLimitsStay413() {
    HttpError limited = StatusMapping.toHttpError(Status.RESOURCE_EXHAUSTED.withDescription(
        io.dtac.core.Protocol.RATE_LIMIT_REFUSAL + "caller 'agent' may start at most 5 calls per 1000 ms;"
            + " retry in 1000 ms (5 calls per 1000 ms, 10 in flight); Retry-After: 7"));
    assertEquals(429, limited.status());
    assertEquals("7", limited.headers().get("Retry-After"));
    assertEquals(413, StatusMapping.toHttpError(Status.RESOURCE_EXHAUSTED.withDescription("the request is too big")).status());
  }

  @Test
  void pluginErrorKeepsThePluginsMessage() {
    HttpError e = StatusMapping.toHttpError(
        Status.INTERNAL.withDescription("endpoint create:calculate failed: boom"));
    assertEquals(502, e.status());
    assertEquals("plugin error (INTERNAL): endpoint create:calculate failed: boom", e.getMessage());
  }

  @Test
  void clientErrorsKeepTheMessageAsIs() {
    HttpError e = StatusMapping.toHttpError(Status.INVALID_ARGUMENT.withDescription("division by zero"));
    assertEquals(400, e.status());
    assertEquals("division by zero", e.getMessage());
  }

  @Test
  void callCycleIsAConflictThatShowsTheChain() {
    HttpError e = StatusMapping.toHttpError(Status.FAILED_PRECONDITION.withDescription(
        CYCLE));
    assertEquals(409, e.status());
    assertEquals(CYCLE, e.getMessage());
  }

  @Test
  void oversizedMessageIsPayloadTooLarge() {
    HttpError e = StatusMapping.toHttpError(Status.RESOURCE_EXHAUSTED.withDescription(
        TOO_BIG));
    assertEquals(413, e.status());
    assertEquals(TOO_BIG, e.getMessage());
  }

  @Test
  void failedCallOfTheSdkMapsByItsCodeAndKeepsItsDescription() {
    HttpError e = StatusMapping.toHttpError(new PluginCallException(StatusCode.UNAVAILABLE,
        "plugin 'HelloPlugin' is not running (FAILED): process exited with code 1"));
    assertEquals(503, e.status());
    assertEquals("plugin 'HelloPlugin' is not running (FAILED): process exited with code 1", e.getMessage());
    assertEquals("plugin error (INTERNAL): boom",
        StatusMapping.toHttpError(new PluginCallException(StatusCode.INTERNAL, "boom")).getMessage());
  }

  @Test
  void statusWithoutDescriptionStillSaysWhatFailed() {
    HttpError e = StatusMapping.toHttpError(Status.DEADLINE_EXCEEDED);
    assertEquals(504, e.status());
    assertEquals("plugin call failed: DEADLINE_EXCEEDED", e.getMessage());
  }
}
