package io.dtac.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.api.PluginEndpoint;
import io.dtac.core.internal.Protos;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The shared types and their mapping to the protocol's messages and statuses. */
class CoreTypesTest {
  @Test
  void statusCodesHaveGrpcsNamesAndNumbers() {
    assertEquals(Status.Code.values().length, StatusCode.values().length);
    for (Status.Code g : Status.Code.values()) {
      StatusCode ours = Protos.code(g);
      assertEquals(g.name(), ours.name());
      assertEquals(g.value(), ours.value());
      assertEquals(g, Protos.code(ours));
    }
    assertEquals(StatusCode.UNKNOWN, StatusCode.of(99));
  }

  @Test
  void aGrpcFailureBecomesAPluginCallExceptionWithItsCodeAndDescription() {
    PluginCallException e =
        Protos.toException(Status.NOT_FOUND.withDescription("plugin 'X' not found").asRuntimeException());
    assertEquals(StatusCode.NOT_FOUND, e.code());
    assertEquals("plugin 'X' not found", e.description());
    assertEquals("NOT_FOUND: plugin 'X' not found", e.getMessage());
    PluginCallException same = new PluginCallException(StatusCode.ABORTED, "x");
    assertEquals(same, Protos.toException(same), "an SDK exception passes through");
    assertEquals(StatusCode.UNKNOWN, Protos.toException(new IllegalStateException("bug")).code());
  }

  @Test
  void requestsAndResponsesSurviveTheProtocolUnchanged() {
    Request r = Request.builder().metadata("k", "v").header("H", "1").header("H", "2").parameter("p", "x")
        .body("{\"a\":1}").build();
    Request back = Protos.fromProto(Protos.toProto(r));
    assertEquals(r.metadata(), back.metadata());
    assertEquals(List.of("1", "2"), back.headers().get("H"));
    assertEquals(Optional.of("x"), back.parameter("p"));
    assertEquals("{\"a\":1}", back.bodyAsString());
    Response s = Response.json(Map.of("result", 8));
    assertEquals(8, Protos.fromProto(Protos.toProto(s)).valueJson().get("result").asInt());
  }

  @Test
  void requestJsonWritesTheBody() {
    assertEquals(5, Request.json(Map.of("a", 5)).bodyJson().get("a").asInt());
  }

  @Test
  void actionsByWireName() {
    assertEquals(Optional.of(Action.READ), Action.ofWireName("read"));
    assertEquals(Optional.empty(), Action.ofWireName("READ"), "exact on the wire");
    assertEquals(Action.READ, Action.fromWireName("READ"), "lenient for people");
    assertEquals("create, read, write, delete", Action.wireNames());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Action.fromWireName("fly"));
    assertEquals("unknown action 'fly'; expected one of create, read, write, delete", e.getMessage());
  }

  @Test
  void actionsAreHttpMethodsForTheGatewayAndTheirWireNamesInText() {
    assertEquals(List.of("POST", "GET", "PUT", "DELETE"),
        java.util.Arrays.stream(Action.values()).map(Action::httpMethod).toList());
    for (Action a : Action.values()) {
      assertEquals(a.name().toLowerCase(java.util.Locale.ROOT), a.wireName());
      assertEquals(a.wireName(), a.toString());
      assertEquals(a.wireName() + ":x", a.methodKey("x"));
    }
  }

  @Test
  void aPluginsSocketIsNamedForItsProcess() {
    assertEquals("p4711.sock", Protocol.pluginSocket(4711));
  }

  @Test
  void endpointsOfTheProtocolBecomeEndpointInfosAndBack() {
    PluginEndpoint p = PluginEndpoint.newBuilder().setAction("read").setPath("hello").setDescription("d")
        .setSecure(true).setAuthGroup("admin").build();
    EndpointInfo info = Protos.fromProto(p);
    assertEquals(new EndpointInfo(Action.READ, "hello", "d", true, "admin", "", ""), info);
    assertEquals("read:hello", info.methodKey());
    assertEquals(p, Protos.toProto(info));
    assertEquals(List.of(info),
        Protos.endpoints(List.of(p, p.toBuilder().setAction("fly").build())), "an unknown action is left out");
  }

  @Test
  void pluginExceptionsCarryTheirCode() {
    assertEquals(StatusCode.INVALID_ARGUMENT, PluginException.invalidArgument("x").code());
    assertInstanceOf(RuntimeException.class, PluginException.notFound("x"));
    assertTrue(PluginException.failedPrecondition("x").getMessage().equals("x"));
  }
}
