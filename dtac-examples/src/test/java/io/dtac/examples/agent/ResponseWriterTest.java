package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResponseWriterTest {
  @Test
  void anErrorIsJsonWithItsHeadersAndTheSafetyHeaders() {
    MemoryCall call = new MemoryCall("POST", "/plugins/hello/hello");
    assertEquals(405, ResponseWriter.error(call, HttpError.methodNotAllowed("POST", "/plugins/hello/hello",
        List.of("GET"))));
    assertEquals(405, call.status());
    assertEquals("{\"error\":\"method POST not allowed on /plugins/hello/hello; allowed: GET\",\"status\":405}",
        call.responseBody());
    assertEquals(List.of("GET"), call.responseHeader("Allow"));
    assertEquals(List.of("application/json"), call.responseHeader("Content-Type"));
    assertEquals(List.of("nosniff"), call.responseHeader("X-Content-Type-Options"));
    assertEquals(List.of("no-store"), call.responseHeader("Cache-Control"));
  }

  @Test
  void aJsonAnswerCarriesItsStatusAndHeaders() {
    MemoryCall call = new MemoryCall("POST", "/admin/plugins");
    assertEquals(201, ResponseWriter.json(call, new JsonAnswer(201, GatewayJson.object().put("name", "HelloPlugin"),
        Map.of("Location", "/admin/plugins/HelloPlugin"))));
    assertEquals("{\"name\":\"HelloPlugin\"}", call.responseBody());
    assertEquals(List.of("/admin/plugins/HelloPlugin"), call.responseHeader("Location"));
  }

  @Test
  void withoutAContentTypeNoneIsSent() {
    MemoryCall call = new MemoryCall("GET", "/x");
    ResponseWriter.send(call, 200, null, new byte[0]);
    assertEquals(List.of(), call.responseHeader("Content-Type"));
    assertEquals("", call.responseBody());
  }

  @Test
  void aClientThatWentAwayIsNotAnError() {
    assertEquals(503, ResponseWriter.error(new MemoryCall("GET", "/plugins").gone(),
        new HttpError(503, "the agent is shutting down")));
  }
}
