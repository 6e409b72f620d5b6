package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dtac.broker.server.PluginBroker;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Routing behind the {@link HttpCall} seam, without an HTTP server, in front of a real broker
 * with no plugins (never started: nothing here reaches a plugin). RestGatewayTest pins the same
 * rules over real HTTPS.
 */
class GatewayRouterTest {
  private static final BearerTokens TOKENS = new BearerTokens(new byte[32], Clock.systemUTC());
  private static final String TOKEN = TOKENS.issue(Duration.ofHours(1));
  private static PluginBroker broker;
  private static GatewayRouter router;

  @BeforeAll
  static void start() {
    broker = PluginBroker.builder().build();
    router = new GatewayRouter(GatewayBackend.of(broker, Path.of("plugins"), Optional.empty()),
        new BearerAuth(TOKENS), new RequestBody(1000));
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  @ParameterizedTest
  @CsvSource({
      "/plugins, LISTING", "/plugins/, LISTING",
      "/admin, ADMIN", "/admin/, ADMIN", "/admin/plugins/X/reload, ADMIN",
      "/plugins/hello, ENDPOINT", "/plugins/hello/hello, ENDPOINT", "/plugins//, ENDPOINT",
      "/, NONE", "'', NONE", "/pluginsx, NONE", "/administration, NONE", "/other/plugins/x, NONE"})
  void eachPathLeadsToOneDestination(String path, GatewayRouter.Destination expected) {
    assertEquals(expected, GatewayRouter.Destination.of(path));
  }

  private static MemoryCall anonymous(String method, String path) {
    return new MemoryCall(method, path);
  }

  private static MemoryCall authorized(String method, String path) {
    return new MemoryCall(method, path).header("Authorization", "Bearer " + TOKEN);
  }

  private static HttpError refusal(MemoryCall call) {
    return assertThrows(HttpError.class, () -> router.serve(call));
  }

  @Test
  void listingNeedsATokenBeforeItsMethodIsLookedAt() throws Exception {
    assertEquals(401, refusal(anonymous("DELETE", "/plugins")).status());
    HttpError e = refusal(authorized("DELETE", "/plugins"));
    assertEquals(405, e.status());
    assertEquals("GET", e.headers().get("Allow"));
    MemoryCall listing = authorized("GET", "/plugins/");
    assertEquals(200, router.serve(listing));
    assertEquals("{\"plugins\":[]}", listing.responseBody());
    assertEquals(List.of("application/json"), listing.responseHeader("Content-Type"));
    assertEquals(List.of("no-store"), listing.responseHeader("Cache-Control"));
  }

  @Test
  void anUnknownEndpointIs401WithoutATokenAnd404WithOne() {
    assertEquals(401, refusal(anonymous("GET", "/plugins/hello/hello")).status());
    HttpError e = refusal(authorized("GET", "/plugins/hello/hello"));
    assertEquals(404, e.status());
    assertEquals("no plugin at /plugins/hello; plugins: none loaded", e.getMessage());
  }

  @Test
  void aPathOutsideThePluginsAndAdminIs404WithoutAToken() {
    HttpError e = refusal(anonymous("GET", "/other"));
    assertEquals(404, e.status());
    assertEquals("no route /other; plugin endpoints are under /plugins, administration under /admin",
        e.getMessage());
  }

  @Test
  void adminNeedsATokenWhateverThePath() {
    assertEquals(401, refusal(anonymous("GET", "/admin/nothing")).status());
    assertEquals(404, refusal(authorized("GET", "/admin/nothing")).status());
  }
}
