package io.dtac.plugin;

import io.dtac.core.StatusCode;

import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.PluginCallException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PluginBaseTest {
  static final class Minimal extends PluginBase {
    Minimal() {
      super("Minimal", "minimal");
      endpoint(Action.READ, "x", "x", req -> Response.text("x"));
    }
  }

  @Test
  void callingTheBrokerBeforeItIsInitializedFailsClearly() {
    Minimal p = new Minimal();
    PluginCallException e = assertThrows(PluginCallException.class,
        () -> p.callPlugin("HelloPlugin", "hello", Action.READ, Request.empty()));
    assertEquals("broker client is not initialized", e.description());
    assertEquals("FAILED_PRECONDITION: broker client is not initialized", e.getMessage());
    assertEquals(StatusCode.FAILED_PRECONDITION, e.code());
    assertEquals("broker client is not initialized",
        assertThrows(PluginCallException.class, p::listAvailablePlugins).description());
  }

  @Test
  void callPluginAsyncBeforeTheBrokerIsInitializedIsAFailedFutureNotAThrow() {
    java.util.concurrent.CompletableFuture<Response> f =
        new Minimal().callPluginAsync("HelloPlugin", "hello", Action.READ, Request.empty());
    assertTrue(f.isCompletedExceptionally());
    java.util.concurrent.ExecutionException e =
        assertThrows(java.util.concurrent.ExecutionException.class, f::get);
    PluginCallException failure = (PluginCallException) e.getCause();
    assertEquals(StatusCode.FAILED_PRECONDITION, failure.code());
    assertEquals(PluginCallException.NOT_INITIALIZED, failure.description());
  }

  @Test
  void anEmptyBrokerAddressMeansNoBroker() {
    Minimal p = new Minimal();
    p.initializeBrokerClient("");
    assertTrue(!p.brokerAvailable());
  }

  @Test
  void duplicateEndpointsAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PluginBase("P", "p") {
      {
        endpoint(Action.READ, "x", "", req -> Response.text("1"));
        endpoint(Action.READ, "x", "", req -> Response.text("2"));
      }
    });
    assertTrue(e.getMessage().contains("already has an endpoint read:x"));
  }

  @Test
  void namesThatWouldBreakTheHandshakeLineAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new PluginBase("a:b", "p") {});
    assertThrows(IllegalArgumentException.class, () -> new PluginBase("P", "") {});
    assertThrows(IllegalArgumentException.class, () -> Endpoint.builder(Action.READ, "/x").handler(r -> null).build());
    assertThrows(IllegalStateException.class, () -> Endpoint.builder(Action.READ, "x").build());
  }

  @Test
  void hostRefusesToRunWithoutTheAgent() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = PluginHost.run(new Minimal(), Map.of(),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(1, code);
    assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing on stdout: no handshake line");
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("must be loaded by the DTAC agent"));
  }

  @Test
  void actionsParseFromTheirWireNames() {
    assertEquals(Action.CREATE, Action.fromWireName("create"));
    assertEquals(Action.DELETE, Action.fromWireName("DELETE"));
    assertEquals("PUT", Action.WRITE.httpMethod());
    assertEquals("read:hello", Action.READ.methodKey("hello"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Action.fromWireName("fly"));
    assertEquals("unknown action 'fly'; expected one of create, read, write, delete", e.getMessage());
  }

  @Test
  void requestsAndResponsesAreImmutableWithJsonHelpers() {
    byte[] body = "{\"a\":5}".getBytes(StandardCharsets.UTF_8);
    Request r = Request.builder().body(body).header("Content-Type", "application/json").build();
    body[0] = 'x';
    assertEquals(5, r.bodyJson().get("a").asInt());
    r.body()[0] = 'y';
    assertEquals("{\"a\":5}", r.bodyAsString());
    assertEquals("application/json", r.header("content-type").orElseThrow());
    assertThrows(UnsupportedOperationException.class, () -> r.headers().put("x", java.util.List.of()));
    assertThrows(IllegalArgumentException.class, () -> Request.builder().body("{oops").build().bodyJson());
    Response json = Response.json(Map.of("result", 8));
    assertEquals(8, json.valueJson().get("result").asInt());
    assertEquals("application/json", json.header("Content-Type").orElseThrow());
  }
}
