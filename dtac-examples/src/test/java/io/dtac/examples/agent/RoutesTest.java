package io.dtac.examples.agent;

import static io.dtac.examples.agent.Fixtures.EXAMPLES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RoutesTest {
  @Test
  void eachActionIsServedWithItsHttpMethod() throws HttpError {
    assertEquals("create", Routes.resolve(EXAMPLES, "POST", "/plugins/calculator/calculate").action().wireName());
    assertEquals("read", Routes.resolve(EXAMPLES, "GET", "/plugins/items/item").action().wireName());
    assertEquals("write", Routes.resolve(EXAMPLES, "PUT", "/plugins/items/item").action().wireName());
    assertEquals("delete", Routes.resolve(EXAMPLES, "DELETE", "/plugins/items/item").action().wireName());
    Routes.Route r = Routes.resolve(EXAMPLES, "GET", "/plugins/items/deep/path");
    assertEquals("ItemsPlugin", r.plugin().name());
    assertEquals("deep/path", r.endpoint().path());
  }

  @Test
  void unknownRootPathIsNotFoundAndListsThePlugins() {
    HttpError e = assertThrows(HttpError.class, () -> Routes.resolve(EXAMPLES, "GET", "/plugins/helo/hello"));
    assertEquals(404, e.status());
    assertTrue(e.getMessage().startsWith("no plugin at /plugins/helo; plugins: "), e.getMessage());
    assertTrue(e.getMessage().contains("/plugins/hello (HelloPlugin)"), e.getMessage());
  }

  @Test
  void unknownEndpointIsNotFoundAndListsTheEndpoints() {
    HttpError e = assertThrows(HttpError.class, () -> Routes.resolve(EXAMPLES, "GET", "/plugins/hello/bye"));
    assertEquals(404, e.status());
    assertEquals("plugin 'HelloPlugin' has no endpoint 'bye'; endpoints: GET /plugins/hello/hello",
        e.getMessage());
    assertEquals(404, assertThrows(HttpError.class,
        () -> Routes.resolve(EXAMPLES, "GET", "/plugins/hello")).status());
  }

  @Test
  void wrongMethodIs405WithTheAllowedOnes() {
    HttpError e = assertThrows(HttpError.class, () -> Routes.resolve(EXAMPLES, "POST", "/plugins/items/item"));
    assertEquals(405, e.status());
    assertEquals("DELETE, GET, PUT", e.headers().get("Allow"));
  }

  @Test
  void pluginThatIsNotRunningIs503WithTheReason() {
    HttpError e = assertThrows(HttpError.class, () -> Routes.resolve(
        List.of(Fixtures.failed("HelloPlugin", "hello", "exited with code 3")), "GET", "/plugins/hello/hello"));
    assertEquals(503, e.status());
    assertEquals("plugin 'HelloPlugin' is not running (FAILED): exited with code 3", e.getMessage());
  }
}
