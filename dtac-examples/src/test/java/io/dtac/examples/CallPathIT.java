package io.dtac.examples;

import io.dtac.core.Protocol;
import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.PluginCallException;
import io.dtac.core.StatusCode;

import static io.dtac.examples.Fixtures.failure;
import static io.dtac.examples.Fixtures.json;
import static io.dtac.examples.Fixtures.params;
import static io.dtac.examples.Fixtures.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deadlines, call chains and hostile calls across real processes: the broker, HelloPlugin and
 * three test plugins (Alpha, Beta, Gamma), each its own OS process.
 */
class CallPathIT {
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(3);
  private static final int MAX_MESSAGE = 256 * 1024;

  @TempDir static Path tmp;
  private static PluginBroker broker;

  @BeforeAll
  static void start() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp, "hello.plugin");
    for (String name : List.of("Alpha", "Beta", "Gamma")) {
      Fixtures.testPlugin(plugins, name);
    }
    broker =
        PluginBroker.builder()
            .pluginDirectory(plugins)
            .handshakeTimeout(Duration.ofSeconds(30))
            .callTimeout(DEFAULT_TIMEOUT)
            .maxCallDepth(3)
            .maxMessageSize(MAX_MESSAGE)
            .build()
            .start();
    for (PluginInfo p : broker.plugins()) {
      assertEquals(PluginState.RUNNING, p.state(), p.toString());
    }
  }

  @AfterAll
  static void stop() throws Exception {
    broker.close();
  }

  @AfterEach
  void brokerKeepsServing() throws Exception {
    assertEquals("Hello from HelloPlugin",
        value(broker.call("HelloPlugin", "hello", Action.READ, Request.empty())).get("message").asText());
  }

  private static JsonNode stats(String plugin) throws Exception {
    return value(broker.call(plugin, "stats", Action.READ, Request.empty()));
  }

  private static Map<String, Object> relay(List<String> path, String method, Object... more) throws Exception {
    Map<String, Object> body = new java.util.LinkedHashMap<>();
    body.put("path", path);
    body.put("method", method);
    for (int i = 0; i < more.length; i += 2) {
      body.put((String) more[i], more[i + 1]);
    }
    return body;
  }

  // ---- deadlines

  @Test
  void aPerCallTimeoutEndsTheCallWithDeadlineExceededNamingTargetAndTimeAllowed() throws Exception {
    int cancelledBefore = stats("Alpha").get("cancelled").asInt();
    PluginCallException e =
        failure(() -> broker.call("Alpha", "slow", Action.READ, params("ms", "60000"), Duration.ofMillis(500)));
    assertEquals(StatusCode.DEADLINE_EXCEEDED, e.code());
    assertEquals(
        "call to plugin 'Alpha' endpoint 'read:slow' did not complete within its deadline of 500 ms",
        e.description());
    Awaitility.await("Alpha's slow call is cancelled").atMost(Duration.ofSeconds(10))
        .until(() -> stats("Alpha").get("cancelled").asInt() > cancelledBefore);
  }

  @Test
  void cancellingTheHostsCallAsyncFutureCancelsTheTargetsWork() throws Exception {
    int cancelledBefore = stats("Alpha").get("cancelled").asInt();
    int startedBefore = stats("Alpha").get("started").asInt();
    java.util.concurrent.CompletableFuture<Response> f =
        broker.callAsync("Alpha", "slow", Action.READ, params("ms", "60000"));
    Awaitility.await("Alpha's slow call has started").atMost(Duration.ofSeconds(10))
        .until(() -> stats("Alpha").get("started").asInt() > startedBefore);
    assertTrue(f.cancel(true));
    Awaitility.await("Alpha's slow call is cancelled").atMost(Duration.ofSeconds(10))
        .until(() -> stats("Alpha").get("cancelled").asInt() > cancelledBefore);
  }

  @Test
  void theHostsCallAsyncAnswersWithTheSdksTypes() throws Exception {
    Response r = broker.callAsync("HelloPlugin", "hello", Action.READ, Request.empty()).get(30, TimeUnit.SECONDS);
    assertEquals("Hello from HelloPlugin", value(r).get("message").asText());
    java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
        java.util.concurrent.ExecutionException.class,
        () -> broker.callAsync("Nope", "hello", Action.READ, Request.empty()).get(30, TimeUnit.SECONDS));
    PluginCallException failure = (PluginCallException) e.getCause();
    assertEquals(StatusCode.NOT_FOUND, failure.code());
    assertTrue(failure.description().startsWith("plugin 'Nope' not found"), failure.description());
  }

  @Test
  void asyncEndpointsCallingAsyncKeepTheirPlaceInTheCallChain() throws Exception {
    JsonNode echo = value(broker.call("Alpha", "relay-async", Action.CREATE, json(relay(List.of("Beta"), "echo"))));
    assertEquals("Alpha", echo.get("caller").asText(), echo.toString());
    PluginCallException cycle =
        failure(() -> broker.call("Alpha", "relay-async", Action.CREATE, json(relay(List.of("Beta", "Alpha"), "echo"))));
    assertEquals(StatusCode.FAILED_PRECONDITION, cycle.code());
    assertTrue(cycle.description().contains("call cycle refused: agent -> Alpha -> Beta -> Alpha"), cycle.description());
  }

  @Test
  void theBrokersDefaultDeadlineAppliesWhenTheCallerSetsNone() throws Exception {
    PluginCallException e = failure(() -> broker.call("Beta", "slow", Action.READ, params("ms", "60000")));
    assertEquals(StatusCode.DEADLINE_EXCEEDED, e.code());
    assertEquals(
        "call to plugin 'Beta' endpoint 'read:slow' did not complete within its deadline of 3000 ms",
        e.description());
  }

  @Test
  void theTargetOfTheSecondHopSeesTheCallersRemainingTime() throws Exception {
    JsonNode seen = value(broker.call("Alpha", "relay", Action.CREATE,
        json(relay(List.of("Beta"), "deadline")), Duration.ofMillis(2000)));
    long remaining = seen.get("remainingMs").asLong();
    assertTrue(remaining > 0 && remaining <= 2000,
        "Beta should see less than the caller's 2000 ms (not the broker's default 3000 ms), saw " + remaining);
    assertEquals(List.of("agent", "Alpha", "Beta"), Fixtures.JSON.convertValue(seen.get("chain"), List.class));
  }

  @Test
  void expiryCancelsTheWorkOnTheSecondHop() throws Exception {
    int cancelledBefore = stats("Gamma").get("cancelled").asInt();
    PluginCallException e = failure(() -> broker.call("Alpha", "relay", Action.CREATE,
        json(relay(List.of("Gamma"), "slow", "params", Map.of("ms", "60000"))), Duration.ofMillis(800)));
    assertEquals(StatusCode.DEADLINE_EXCEEDED, e.code());
    assertTrue(e.description().startsWith("call to plugin 'Alpha' endpoint 'create:relay'"),
        e.description());
    Awaitility.await("Gamma's slow call is cancelled").atMost(Duration.ofSeconds(10))
        .until(() -> stats("Gamma").get("cancelled").asInt() > cancelledBefore);
  }

  @Test
  void aPluginsOwnTimeoutOnCallPluginIsDeadlineExceededNamingItsTarget() throws Exception {
    PluginCallException e = failure(() -> broker.call("Alpha", "relay", Action.CREATE,
        json(relay(List.of("Beta"), "slow", "params", Map.of("ms", "60000"), "timeoutMs", 300))));
    assertEquals(StatusCode.DEADLINE_EXCEEDED, e.code());
    assertTrue(e.description().matches(
        ".*call to plugin 'Beta' endpoint 'read:slow' did not complete within its deadline of (2[5-9][0-9]|300) ms"),
        e.description());
  }

  // ---- call chains

  @Test
  void aCycleFromAThroughBBackToAIsRefusedShowingTheChain() throws Exception {
    PluginCallException e = failure(() ->
        broker.call("Alpha", "relay", Action.CREATE, json(relay(List.of("Beta", "Alpha"), "echo"))));
    assertEquals(StatusCode.FAILED_PRECONDITION, e.code());
    assertTrue(e.description().contains("call cycle refused: agent -> Alpha -> Beta -> Alpha"),
        e.description());
  }

  @Test
  void aPluginCallingItselfIsRefused() throws Exception {
    PluginCallException e =
        failure(() -> broker.call("Alpha", "relay", Action.CREATE, json(relay(List.of("Alpha"), "echo"))));
    assertEquals(StatusCode.FAILED_PRECONDITION, e.code());
    assertTrue(e.description().contains("call cycle refused: agent -> Alpha -> Alpha"),
        e.description());
  }

  @Test
  void aChainDeeperThanTheMaximumIsRefused() throws Exception {
    PluginCallException e = failure(() -> broker.call("Alpha", "relay", Action.CREATE,
        json(relay(List.of("Beta", "Gamma", "HelloPlugin"), "hello"))));
    assertEquals(StatusCode.FAILED_PRECONDITION, e.code());
    assertTrue(e.description().contains(
        "call chain too deep: agent -> Alpha -> Beta -> Gamma -> HelloPlugin has 4 hops; the maximum is 3"),
        e.description());
    JsonNode ok = value(broker.call("Alpha", "relay", Action.CREATE, json(relay(List.of("Beta", "Gamma"), "echo"))));
    assertEquals(List.of("agent", "Alpha", "Beta", "Gamma"), Fixtures.JSON.convertValue(ok.get("chain"), List.class));
  }

  @Test
  void callersCannotForgeTheBrokersMetadata() throws Exception {
    JsonNode seen = value(broker.call("Alpha", "relay", Action.CREATE, json(relay(List.of("Beta"), "echo",
        "metadata", Map.of(Protocol.CALLER_METADATA, "Mallory", Protocol.CALL_CHAIN_METADATA, "agent>Beta", Protocol.CALL_TOKEN, "x")))));
    assertEquals("Alpha", seen.get("caller").asText());
    assertEquals(List.of("agent", "Alpha", "Beta"), Fixtures.JSON.convertValue(seen.get("chain"), List.class));
    assertNotEquals("x", seen.get("metadata").get(Protocol.CALL_TOKEN).asText());
  }

  @Test
  void aForgedCallTokenIsRefused() throws Exception {
    JsonNode answer = raw("Alpha", call("HelloPlugin", "hello", "read").toByteArray(), Map.of("token", "forged"));
    assertEquals("INVALID_ARGUMENT", answer.get("code").asText());
    assertEquals("header dtac-call-token does not name a call in flight to plugin 'Alpha': send the token"
        + " of the call being served, or none", answer.get("description").asText());
  }

  @Test
  void aTokenPassedToAnotherPluginIsRefused() throws Exception {
    String message = Base64.getEncoder().encodeToString(call("HelloPlugin", "hello", "read").toByteArray());
    JsonNode answer = value(broker.call("Alpha", "relay", Action.CREATE, json(relay(List.of("Beta"), "raw",
        "action", "create", "params", Map.of("token", "$TOKEN", "message", message)))));
    assertEquals("INVALID_ARGUMENT", answer.get("code").asText(), answer.toString());
    assertTrue(answer.get("description").asText().contains("in flight to plugin 'Beta'"));
  }

  // ---- hostile calls from a plugin, over the real transport

  private static PluginCallRequest call(String plugin, String method, String action) throws Exception {
    return PluginCallRequest.newBuilder().setPluginName(plugin).setMethod(method).setAction(action).build();
  }

  private static JsonNode raw(String from, byte[] message, Map<String, Object> more) throws Exception {
    Map<String, Object> body = new java.util.LinkedHashMap<>(more);
    body.put("message", Base64.getEncoder().encodeToString(message));
    return value(broker.call(from, "raw", Action.CREATE, json(body)));
  }

  @Test
  void invalidUtf8InANameIsInvalidArgument() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write(new byte[] {0x0a, 0x03, 'H', (byte) 0xff, 'i'});
    JsonNode answer = raw("Alpha", bytes.toByteArray(), Map.of());
    assertEquals("INVALID_ARGUMENT", answer.get("code").asText());
    assertEquals("the request is not a valid plugin.AgentService/CallPlugin message: Protocol message had"
        + " invalid UTF-8.", answer.get("description").asText());
  }

  @Test
  void anOversizedPayloadIsResourceExhausted() throws Exception {
    JsonNode answer =
        raw("Alpha", call("HelloPlugin", "hello", "read").toByteArray(), Map.of("bodySize", MAX_MESSAGE + 1));
    assertEquals("RESOURCE_EXHAUSTED", answer.get("code").asText());
    assertTrue(answer.get("description").asText().contains("exceeds maximum size " + MAX_MESSAGE),
        answer.toString());
    PluginCallException host = failure(() -> broker.call("HelloPlugin", "hello", Action.READ,
        Request.builder().body(new byte[MAX_MESSAGE + 1]).build()));
    assertEquals(StatusCode.RESOURCE_EXHAUSTED, host.code());
    PluginCallException reply = failure(() ->
        broker.call("Beta", "big", Action.READ, params("size", Integer.toString(MAX_MESSAGE + 1))));
    assertEquals(StatusCode.RESOURCE_EXHAUSTED, reply.code());
  }

  @Test
  void thousandsOfHeadersAreResourceExhausted() throws Exception {
    JsonNode answer = raw("Alpha", call("HelloPlugin", "hello", "read").toByteArray(), Map.of("headerCount", 3000));
    assertEquals("RESOURCE_EXHAUSTED", answer.get("code").asText(), answer.toString());
    assertTrue(answer.get("description").asText().contains("the broker accepts at most 8192 bytes of metadata"));
  }

  @Test
  void emptyFieldsAndUnknownActionsAreInvalidArgument() throws Exception {
    JsonNode empty = raw("Alpha", new byte[0], Map.of());
    assertEquals("INVALID_ARGUMENT", empty.get("code").asText());
    assertEquals("plugin_name is empty; name the plugin to call, e.g. 'HelloPlugin'", empty.get("description").asText());
    // (An unknown action cannot be written with the host's typed API; CallPathTest sends one over the wire.)
    assertFalse(broker.plugins().isEmpty());
  }
}
