package io.dtac.testing;

import io.dtac.core.Protocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.PluginException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.StatusCode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The fake broker: stubs for the other plugins, routing as the broker's, recorded calls. */
class FakeBrokerTest {
  @RegisterExtension final PluginTestKit kit = new PluginTestKit();
  private PluginUnderTest echo;

  @BeforeEach
  void startEcho() {
    echo = kit.start(new TestPlugins.Echo());
  }

  /** Has the echo plugin call {@code plugin}'s {@code action:path} through its real BrokerClient. */
  private Response forward(String plugin, Action action, String path, Map<String, Object> extra)
      throws PluginCallException {
    Map<String, Object> body = new LinkedHashMap<>(Map.of("plugin", plugin, "path", path, "action", action.wireName()));
    body.putAll(extra);
    return echo.call(Action.CREATE, "forward", Request.json(body));
  }

  private PluginCallException forwardFails(String plugin, Action action, String path) {
    return assertThrows(PluginCallException.class, () -> forward(plugin, action, path, Map.of()));
  }

  @Test
  void aStubbedAnswerReachesTheCallingPlugin() throws Exception {
    kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.json(Map.of("message", "hi")));
    Response r = forward("HelloPlugin", Action.READ, "hello", Map.of("body", "ping"));
    assertEquals("hi", r.valueJson().get("message").asText());
    assertEquals("true", r.metadata().get("forwarded"));
  }

  @Test
  void everyCallIsRecordedAsThePluginSentIt() throws Exception {
    kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.text("hi"));
    assertEquals(List.of(), kit.broker().calls());
    forward("HelloPlugin", Action.READ, "hello",
        Map.of("body", "ping", "metadata", Map.of("k", "v", Protocol.CALLER_METADATA, "Forged")));
    List<RecordedCall> calls = kit.broker().calls();
    assertEquals(1, calls.size());
    RecordedCall call = calls.get(0);
    assertEquals("EchoPlugin", call.caller());
    assertEquals("HelloPlugin", call.plugin());
    assertEquals("hello", call.path());
    assertEquals(Action.READ, call.action());
    assertEquals("ping", call.request().bodyAsString());
    assertEquals("v", call.request().metadata().get("k"));
    assertEquals("Forged", call.request().metadata().get(Protocol.CALLER_METADATA), "recorded as sent, before the broker's stamp");
    assertEquals(List.of("agent", "EchoPlugin", "HelloPlugin"), call.callChain());
    Duration left = call.timeRemaining().orElseThrow();
    assertTrue(left.compareTo(Duration.ofSeconds(30)) <= 0 && left.compareTo(Duration.ZERO) > 0,
        "the test's call deadline carried over: " + left);
    assertEquals("EchoPlugin -> HelloPlugin read:hello agent>EchoPlugin>HelloPlugin", call.toString());
  }

  @Test
  void aStubHandlerSeesTheBrokersMetadataAndMapsExceptionsAsAPlugin() throws Exception {
    kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(request -> {
      if (request.bodyAsString().isEmpty()) {
        throw new IllegalArgumentException("say something");
      }
      return Response.text(request.caller().orElse("") + " via " + String.join(">", request.callChain())
          + " said " + request.bodyAsString() + " as " + request.metadata().get(Protocol.CALLER_METADATA));
    });
    assertEquals("EchoPlugin via agent>EchoPlugin>HelloPlugin said ping as EchoPlugin",
        forward("HelloPlugin", Action.READ, "hello", Map.of("body", "ping", "metadata", Map.of(Protocol.CALLER_METADATA, "x")))
            .valueAsString());
    PluginCallException e = forwardFails("HelloPlugin", Action.READ, "hello");
    assertEquals(StatusCode.INVALID_ARGUMENT, e.code());
    // The calling plugin passes the failure on with its code and its words (today "CODE: words").
    assertTrue(e.description().endsWith("say something"), e.description());
  }

  @Test
  void failAnswersWithTheStatusAndALaterAnswerReplacesIt() throws Exception {
    Stub hello = kit.broker().stub("HelloPlugin", Action.READ, "hello");
    hello.fail(StatusCode.UNAVAILABLE, "down");
    PluginCallException e = forwardFails("HelloPlugin", Action.READ, "hello");
    assertEquals(StatusCode.UNAVAILABLE, e.code());
    assertTrue(e.description().endsWith("down"), e.description());
    kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.text("up"));
    assertEquals("up", forward("HelloPlugin", Action.READ, "hello", Map.of()).valueAsString());
    assertThrows(IllegalArgumentException.class, () -> hello.fail(StatusCode.OK, "fine"));
    assertThrows(NullPointerException.class, () -> hello.fail(null, "x"));
    assertThrows(NullPointerException.class, () -> hello.answer((Response) null));
    assertThrows(NullPointerException.class, () -> hello.answer((io.dtac.plugin.EndpointHandler) null));
  }

  @Test
  void hangHoldsTheCallUntilItsDeadline() {
    kit.broker().stub("Slow", Action.READ, "slow").hang();
    PluginCallException e = assertThrows(PluginCallException.class,
        () -> forward("Slow", Action.READ, "slow", Map.of("timeoutMillis", 100)));
    assertEquals(StatusCode.DEADLINE_EXCEEDED, e.code());
    assertTrue(e.description().contains("did not complete within its deadline of 100 ms"), e.description());
    assertTrue(Duration.ofMillis(100).compareTo(kit.broker().calls().get(0).timeRemaining().orElseThrow()) >= 0,
        "the plugin's own timeout is the deadline the broker saw");
  }

  @Test
  void anUnstubbedPluginIsNotFoundListingTheLoadedOnes() {
    kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.text("hi"));
    PluginCallException e = forwardFails("Hello", Action.READ, "hello");
    assertEquals(StatusCode.NOT_FOUND, e.code());
    assertTrue(e.description().endsWith("plugin 'Hello' not found; loaded: EchoPlugin, HelloPlugin"), e.description());
    assertEquals("Hello", kit.broker().calls().get(0).plugin(), "refused calls are recorded too");
  }

  @Test
  void anUnstubbedEndpointIsNotFoundListingTheStubbedOnes() {
    Stub unanswered = kit.broker().stub("HelloPlugin", Action.WRITE, "later");
    kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.text("hi"));
    PluginCallException e = forwardFails("HelloPlugin", Action.READ, "bye");
    assertEquals(StatusCode.NOT_FOUND, e.code());
    assertTrue(e.description().endsWith("plugin 'HelloPlugin' has no endpoint 'read:bye'; endpoints: read:hello"),
        e.description());
    assertEquals(StatusCode.NOT_FOUND, forwardFails("HelloPlugin", Action.WRITE, "later").code(),
        "a stub without an answer is no endpoint yet");
    assertTrue(unanswered.toString().contains("write:later"));
  }

  @Test
  void stubNamesAndPathsAreChecked() {
    assertThrows(IllegalArgumentException.class, () -> kit.broker().stub("a:b", Action.READ, "x"));
    assertThrows(IllegalArgumentException.class, () -> kit.broker().stub("Ok", Action.READ, "/x"));
    assertThrows(IllegalArgumentException.class, () -> kit.broker().stub("Ok", Action.READ, ""));
    assertThrows(NullPointerException.class, () -> kit.broker().stub("Ok", null, "x"));
    IllegalStateException started = assertThrows(IllegalStateException.class,
        () -> kit.broker().stub("EchoPlugin", Action.READ, "echo"));
    assertTrue(started.getMessage().contains("cannot also be stubbed"), started.getMessage());
    kit.broker().stub("Stubbed", Action.READ, "x");
    assertThrows(IllegalStateException.class, () -> kit.start(new TestPlugins.Echo("Stubbed")));
  }

  @Test
  void callsBetweenStartedPluginsGoToThePluginWithTheChain() throws Exception {
    kit.start(new TestPlugins.Echo("Second"));
    JsonNode v = forward("Second", Action.READ, "echo", Map.of("body", "b")).valueJson();
    assertEquals("EchoPlugin", v.get("caller").asText());
    assertEquals("[\"agent\",\"EchoPlugin\",\"Second\"]", v.get("chain").toString());
    Map<String, Object> back = Map.of("plugin", "EchoPlugin", "path", "echo", "action", "read");
    PluginCallException cycle = assertThrows(PluginCallException.class, () -> forward("Second", Action.CREATE,
        "forward", Map.of("body", io.dtac.core.internal.Json.MAPPER.writeValueAsString(back))));
    assertEquals(StatusCode.FAILED_PRECONDITION, cycle.code());
    assertTrue(cycle.description().endsWith("call cycle refused: agent -> EchoPlugin -> Second -> EchoPlugin"
        + " (plugin 'EchoPlugin' is already in this call chain)"), cycle.description());
  }

  @Test
  void pluginsListWhatTheBrokerHas() throws Exception {
    kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.text("hi"));
    assertEquals("[\"EchoPlugin\",\"HelloPlugin\"]", echo.call(Action.READ, "list", null).valueJson().toString());
  }

  @Test
  void callsIsASnapshot() throws Exception {
    kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.text("hi"));
    List<RecordedCall> before = kit.broker().calls();
    forward("HelloPlugin", Action.READ, "hello", Map.of());
    assertEquals(0, before.size());
    assertEquals(1, kit.broker().calls().size());
    assertThrows(UnsupportedOperationException.class, () -> kit.broker().calls().clear());
    assertFalse(kit.broker().toString().isEmpty());
  }

  @Test
  void aStubCanAnswerWithAnyStatusOfAPluginException() {
    kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(r -> {
      throw new PluginException(StatusCode.RESOURCE_EXHAUSTED, "slow down");
    });
    assertEquals(StatusCode.RESOURCE_EXHAUSTED, forwardFails("HelloPlugin", Action.READ, "hello").code());
  }
}
