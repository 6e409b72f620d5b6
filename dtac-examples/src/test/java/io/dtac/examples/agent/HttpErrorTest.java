package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpErrorTest {
  @Test
  void everyErrorIsErrorAndStatusAsJson() {
    HttpError e = new HttpError(404, "no plugin named 'Nope'; plugins: \"HelloPlugin\"");
    assertEquals("{\"error\":\"no plugin named 'Nope'; plugins: \\\"HelloPlugin\\\"\",\"status\":404}",
        new String(e.json(), StandardCharsets.UTF_8));
  }

  @Test
  void methodNotAllowedListsTheMethodsInTheMessageAndInAllow() {
    HttpError e = HttpError.methodNotAllowed("PUT", "/admin/plugins", List.of("GET", "POST"));
    assertEquals(405, e.status());
    assertEquals("method PUT not allowed on /admin/plugins; allowed: GET, POST", e.getMessage());
    assertEquals(Map.of("Allow", "GET, POST"), e.headers());
  }

  @Test
  void requireMethodPassesAnAllowedMethodOnly() throws HttpError {
    HttpError.requireMethod("GET", "/plugins", "GET");
    HttpError e = assertThrows(HttpError.class, () -> HttpError.requireMethod("DELETE", "/plugins", "GET"));
    assertEquals("method DELETE not allowed on /plugins; allowed: GET", e.getMessage());
    assertEquals("GET", e.headers().get("Allow"));
  }

  @Test
  void onlyErrorStatusesAreErrors() {
    assertThrows(IllegalArgumentException.class, () -> new HttpError(200, "fine"));
    assertThrows(IllegalArgumentException.class, () -> new HttpError(600, "what"));
  }
}
