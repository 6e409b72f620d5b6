package io.dtac.testing;

import io.dtac.core.Protocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.core.Action;
import io.dtac.core.EndpointInfo;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.StatusCode;
import io.dtac.plugin.LogLevel;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A plugin started in process and called as the broker calls it. */
class PluginUnderTestTest {
  @RegisterExtension final PluginTestKit kit = new PluginTestKit();

  private static PluginCallException failure(org.junit.jupiter.api.function.Executable call) {
    return assertThrows(PluginCallException.class, call);
  }

  @Test
  void aCallReachesTheEndpointWithTheBrokersMetadataAndADeadline() throws Exception {
    PluginUnderTest echo = kit.start(new TestPlugins.Echo());
    Response r = echo.call(Action.READ, "echo", Request.builder().body("hi")
        .metadata(Protocol.CALLER_METADATA, "forged").metadata("DTAC-Call-Chain", "forged").metadata("mine", "kept").build());
    JsonNode v = r.valueJson();
    assertEquals("hi", v.get("body").asText());
    assertEquals("agent", v.get("caller").asText());
    assertEquals("[\"agent\",\"EchoPlugin\"]", v.get("chain").toString());
    assertEquals("kept", v.get("metadata").get("mine").asText());
    assertFalse(v.get("metadata").has("DTAC-Call-Chain"), "the caller's dtac-* keys are removed in any case");
    assertTrue(v.get("metadata").has(Protocol.CALL_TOKEN));
    assertTrue(v.get("deadline").asBoolean(), "every call has a deadline: the broker's default");
    assertEquals("fast", echo.call(Action.READ, "fast", null).valueAsString(), "null is an empty request");
  }

  @Test
  void endpointExceptionsBecomeTheSdksStatuses() {
    PluginUnderTest echo = kit.start(new TestPlugins.Echo());
    PluginCallException denied = failure(() -> echo.call(Action.CREATE, "denied", Request.empty()));
    assertEquals(StatusCode.PERMISSION_DENIED, denied.code());
    assertEquals("no, you may not", denied.description());
    PluginCallException bad = failure(() -> echo.call(Action.CREATE, "bad", Request.empty()));
    assertEquals(StatusCode.INVALID_ARGUMENT, bad.code());
    assertEquals("field 'a' must be a number", bad.description());
    PluginCallException bug = failure(() -> echo.call(Action.DELETE, "bug", Request.empty()));
    assertEquals(StatusCode.INTERNAL, bug.code());
    assertTrue(bug.description().startsWith("endpoint delete:bug failed"), bug.description());
  }

  @Test
  void anUnknownEndpointIsNotFoundWithTheBrokersMessage() {
    PluginUnderTest echo = kit.start(new TestPlugins.Echo());
    PluginCallException e = failure(() -> echo.call(Action.WRITE, "echo", Request.empty()));
    assertEquals(StatusCode.NOT_FOUND, e.code());
    assertEquals("plugin 'EchoPlugin' has no endpoint 'write:echo'; endpoints: read:echo, write:open, read:fast,"
        + " create:denied, create:bad, delete:bug, read:wait, create:forward, read:list", e.description());
    assertEquals(StatusCode.INVALID_ARGUMENT, failure(() -> echo.call(Action.READ, "", null)).code());
  }

  @Test
  void registerRunsFirstWithTheConfigAndABroker() {
    TestPlugins.Echo plugin = new TestPlugins.Echo();
    PluginUnderTest echo = kit.start(plugin, "{\"greeting\":\"hi\"}");
    assertEquals("hi", plugin.config.get("greeting").asText());
    assertTrue(plugin.brokerAvailable(), "Register carried the fake broker's address");
    assertSame(plugin, echo.plugin());
    assertEquals("EchoPlugin", echo.name());
    TestPlugins.Echo other = new TestPlugins.Echo("Other");
    kit.start(other);
    assertEquals("{}", other.config.toString(), "start(plugin) registers with an empty config");
  }

  @Test
  void aRefusedRegistrationFailsTheStartWithTheStatus() {
    IllegalStateException notJson = assertThrows(IllegalStateException.class,
        () -> kit.start(new TestPlugins.Echo(), "{oops"));
    assertEquals(StatusCode.INVALID_ARGUMENT, assertInstanceOf(PluginCallException.class, notJson.getCause()).code());
    assertTrue(notJson.getMessage().contains("config is not JSON"), notJson.getMessage());
    IllegalStateException refused = assertThrows(IllegalStateException.class,
        () -> kit.start(new TestPlugins.Echo(), "{\"refuse\":true}"));
    assertEquals(StatusCode.FAILED_PRECONDITION, ((PluginCallException) refused.getCause()).code());
    assertTrue(refused.getMessage().contains("refused by config"), refused.getMessage());
    kit.start(new TestPlugins.Echo());
  }

  @Test
  void aSecondPluginOfTheSameNameIsRefused() {
    kit.start(new TestPlugins.Echo());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> kit.start(new TestPlugins.Echo()));
    assertTrue(e.getMessage().contains("'EchoPlugin' is started or stubbed already"), e.getMessage());
    assertThrows(NullPointerException.class, () -> kit.start(null));
    assertThrows(NullPointerException.class, () -> kit.start(new TestPlugins.Echo("X"), null));
  }

  @Test
  void endpointsAreWhatRegisterAnswered() {
    List<EndpointInfo> endpoints = kit.start(new TestPlugins.Echo()).endpoints();
    assertEquals("read:echo", endpoints.get(0).methodKey());
    assertTrue(endpoints.get(0).secure(), "default_secure is true, as the broker's default");
    assertFalse(endpoints.get(1).secure(), "an endpoint's own setting wins");
  }

  @Test
  void logsAreWhatTheAgentReceivesFromTheConstructorOn() {
    PluginUnderTest echo = kit.start(new TestPlugins.Echo());
    List<PluginLogRecord> logs = echo.logs();
    assertEquals(new PluginLogRecord(LogLevel.INFO, "constructed", Map.of("name", "EchoPlugin")), logs.get(0));
    assertTrue(logs.stream().anyMatch(l -> l.message().equals("broker client initialized")), logs.toString());
    assertEquals(new PluginLogRecord(LogLevel.WARNING, "registered", Map.of("broker", "true")), logs.get(logs.size() - 1));
  }

  @Test
  void withCallerCallsAsAnotherPlugin() throws Exception {
    PluginUnderTest echo = kit.start(new TestPlugins.Echo());
    JsonNode v = echo.withCaller("Billing").call(Action.READ, "echo", null).valueJson();
    assertEquals("Billing", v.get("caller").asText());
    assertEquals("[\"Billing\",\"EchoPlugin\"]", v.get("chain").toString());
    PluginCallException self = failure(() -> echo.withCaller("EchoPlugin").call(Action.READ, "echo", null));
    assertEquals(StatusCode.FAILED_PRECONDITION, self.code());
    assertEquals("call cycle refused: EchoPlugin -> EchoPlugin (plugin 'EchoPlugin' is already in this call chain)",
        self.description());
    assertThrows(IllegalArgumentException.class, () -> echo.withCaller("a:b"));
    assertThrows(IllegalArgumentException.class, () -> echo.withCaller(null));
  }

  @Test
  void withTimeoutEndsTheCallWithTheBrokersDeadlineMessage() {
    TestPlugins.Echo plugin = new TestPlugins.Echo();
    PluginUnderTest echo = kit.start(plugin).withTimeout(Duration.ofMillis(100));
    PluginCallException e = failure(() -> echo.call(Action.READ, "wait", null));
    assertEquals(StatusCode.DEADLINE_EXCEEDED, e.code());
    assertEquals("call to plugin 'EchoPlugin' endpoint 'read:wait' did not complete within its deadline of 100 ms",
        e.description());
    assertThrows(IllegalArgumentException.class, () -> echo.withTimeout(Duration.ZERO));
    assertThrows(NullPointerException.class, () -> echo.withTimeout(null));
  }

  @Test
  void callAsyncAnswersAndCancellingItCancelsTheEndpoint() throws Exception {
    TestPlugins.Echo plugin = new TestPlugins.Echo();
    PluginUnderTest echo = kit.start(plugin);
    assertEquals("fast", echo.callAsync(Action.READ, "fast", null).get(5, TimeUnit.SECONDS).valueAsString());
    ExecutionException failed = assertThrows(ExecutionException.class,
        () -> echo.callAsync(Action.CREATE, "denied", null).get(5, TimeUnit.SECONDS));
    assertEquals(StatusCode.PERMISSION_DENIED, assertInstanceOf(PluginCallException.class, failed.getCause()).code());
    CompletableFuture<Response> waiting = echo.callAsync(Action.READ, "wait", null);
    assertTrue(plugin.waiting.await(5, TimeUnit.SECONDS));
    assertTrue(waiting.cancel(true));
    assertTrue(waiting.isCancelled());
    assertTrue(plugin.cancelled.await(5, TimeUnit.SECONDS), "the endpoint saw its call cancelled");
  }

  /** Repeated: it raced once (the endpoint's answer could beat the channel's close). */
  @org.junit.jupiter.api.RepeatedTest(20)
  void aClosedPluginIsUnavailable() throws Exception {
    TestPlugins.Echo plugin = new TestPlugins.Echo();
    PluginUnderTest echo = kit.start(plugin);
    CompletableFuture<Response> waiting = echo.callAsync(Action.READ, "wait", null);
    assertTrue(plugin.waiting.await(5, TimeUnit.SECONDS), "the call is in flight at the endpoint");
    echo.close();
    echo.close();
    assertFalse(plugin.brokerAvailable(), "the host's shutdown closed the broker client");
    assertThrows(ExecutionException.class, () -> waiting.get(5, TimeUnit.SECONDS));
    PluginCallException e = failure(() -> echo.call(Action.READ, "echo", null));
    assertEquals(StatusCode.UNAVAILABLE, e.code());
    assertEquals("plugin 'EchoPlugin' is not running (STOPPED)", e.description());
  }
}
