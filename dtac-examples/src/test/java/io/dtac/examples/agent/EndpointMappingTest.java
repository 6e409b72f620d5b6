package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.core.Request;
import io.dtac.core.Response;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EndpointMappingTest {
  @Test
  void headerNamesAreInCanonicalForm() {
    assertEquals("Content-Type", EndpointMapping.canonicalHeaderName("content-TYPE"));
    assertEquals("X-Request-Id", EndpointMapping.canonicalHeaderName("x-request-ID"));
  }

  @Test
  void queryParametersAreDecodedRepeatableAndInOrder() throws HttpError {
    assertEquals(Map.of("x", List.of("1", "2"), "name", List.of("a b"), "flag", List.of(""), "é", List.of("&")),
        EndpointMapping.parseQuery("x=1&&name=a%20b&x=2&flag&%C3%A9=%26"));
    assertEquals(List.of("x", "name", "flag"),
        List.copyOf(EndpointMapping.parseQuery("x=1&name=a&flag").keySet()));
    assertEquals(Map.of(), EndpointMapping.parseQuery(null));
    assertEquals(Map.of(), EndpointMapping.parseQuery(""));
  }

  @Test
  void malformedPercentEscapeIs400() {
    HttpError e = assertThrows(HttpError.class, () -> EndpointMapping.parseQuery("x=%zz"));
    assertEquals(400, e.status());
    assertTrue(e.getMessage().startsWith("malformed query string: "), e.getMessage());
  }

  @Test
  void requestCarriesQueryHeadersBodyAndMetadataButNotTheToken() throws HttpError {
    MemoryCall call = new MemoryCall("POST", "/plugins/calculator/calculate?x=1&x=2")
        .header("content-type", "application/json")
        .header("AUTHORIZATION", "Bearer secret")
        .header("X-Trace", "t1")
        .header("X-Trace", "t2");
    Request r = EndpointMapping.toRequest(call, "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
    assertEquals(Map.of("Content-Type", List.of("application/json"), "X-Trace", List.of("t1", "t2")), r.headers());
    assertEquals(Map.of("x", List.of("1", "2")), r.parameters());
    assertEquals("{\"a\":1}", r.bodyAsString());
    assertEquals(Map.of("http_method", "POST", "http_path", "/plugins/calculator/calculate",
        "remote_address", "127.0.0.1"), r.metadata());
  }

  @Test
  void responseHeadersBecomeHttpHeadersButHopByHopOnesDoNot() {
    MemoryCall call = new MemoryCall("GET", "/plugins/hello/hello");
    assertEquals(200, EndpointMapping.send(call, Response.builder()
        .value("{\"message\":\"hi\"}")
        .header("X-Plugin", "a").header("X-Plugin", "b")
        .header("Content-Length", "999").header("connection", "keep-alive").header("TE", "trailers")
        .header("X-Bad", "line\r\nbreak")
        .build()));
    assertEquals(200, call.status());
    assertEquals("{\"message\":\"hi\"}", call.responseBody());
    assertEquals(List.of("a", "b"), call.responseHeader("X-Plugin"));
    assertEquals(List.of(), call.responseHeader("Content-Length"));
    assertEquals(List.of(), call.responseHeader("Connection"));
    assertEquals(List.of(), call.responseHeader("TE"));
    assertEquals(List.of(), call.responseHeader("X-Bad"));
    assertEquals(List.of("application/json"), call.responseHeader("Content-Type"));
    assertEquals(List.of("nosniff"), call.responseHeader("X-Content-Type-Options"));
  }

  @Test
  void contentTypeOfThePluginWinsElseJsonOrOctetStreamAndNoneForNoValue() {
    MemoryCall typed = new MemoryCall("GET", "/x");
    EndpointMapping.send(typed, Response.builder().value("plain").header("content-type", "text/plain").build());
    assertEquals(List.of("text/plain"), typed.responseHeader("Content-Type"));
    MemoryCall binary = new MemoryCall("GET", "/x");
    EndpointMapping.send(binary, Response.builder().value("not json").build());
    assertEquals(List.of("application/octet-stream"), binary.responseHeader("Content-Type"));
    MemoryCall empty = new MemoryCall("GET", "/x");
    EndpointMapping.send(empty, Response.builder().build());
    assertEquals(List.of(), empty.responseHeader("Content-Type"));
    assertEquals("", empty.responseBody());
  }
}
