package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RequestBodyTest {
  private static final RequestBody BODIES = new RequestBody(10);

  private static MemoryCall post(String body) {
    return new MemoryCall("POST", "/plugins/x/y").body(body);
  }

  @Test
  void bodyUpToTheLimitIsReadWhole() throws HttpError {
    assertArrayEquals("0123456789".getBytes(StandardCharsets.UTF_8), BODIES.read(post("0123456789")));
    assertArrayEquals(new byte[0], BODIES.read(new MemoryCall("GET", "/plugins/x/y")));
  }

  @Test
  void bodyOverTheLimitIs413AndClosesTheConnectionWhetherDeclaredOrNot() {
    HttpError chunked = assertThrows(HttpError.class, () -> BODIES.read(post("0123456789A")));
    assertEquals(413, chunked.status());
    assertEquals("request body larger than the limit of 10 bytes (max_body_bytes in the agent's --config"
        + " file)", chunked.getMessage());
    assertEquals("close", chunked.headers().get("Connection"));
    HttpError declared = assertThrows(HttpError.class,
        () -> BODIES.read(post("").header("Content-Length", "11")));
    assertEquals(413, declared.status());
    assertEquals("close", declared.headers().get("Connection"));
  }

  @Test
  void contentLengthThatIsNotANumberIs400() {
    HttpError e = assertThrows(HttpError.class, () -> BODIES.read(post("").header("Content-Length", "ten")));
    assertEquals(400, e.status());
    assertEquals("Content-Length is not a number: ten", e.getMessage());
  }

  @Test
  void bodyThatCannotBeReadIs400() {
    InputStream broken = new InputStream() {
      @Override
      public int read() throws IOException {
        throw new IOException("connection reset");
      }
    };
    HttpError e = assertThrows(HttpError.class,
        () -> BODIES.read(new MemoryCall("POST", "/plugins/x/y").body(broken)));
    assertEquals(400, e.status());
    assertEquals("could not read the request body: connection reset", e.getMessage());
  }

  @Test
  void bodyWhoseReadTimedOutIs408AndClosesTheConnection() {
    InputStream slow = new InputStream() {
      @Override
      public int read() throws IOException {
        throw new SocketTimeoutException("the request did not arrive whole within 30000 ms");
      }
    };
    HttpError e = assertThrows(HttpError.class,
        () -> BODIES.read(new MemoryCall("POST", "/plugins/x/y").body(slow)));
    assertEquals(408, e.status());
    assertEquals("the request did not arrive whole within 30000 ms", e.getMessage());
    assertEquals("close", e.headers().get("Connection"));
  }

  @Test
  void bodyDeclaredJsonMustBeJsonAndOtherBodiesAreNotLookedAt() throws HttpError {
    HttpError e = assertThrows(HttpError.class,
        () -> BODIES.read(post("{\"a\":").header("Content-Type", "application/json; charset=utf-8")));
    assertEquals(400, e.status());
    assertTrue(e.getMessage().startsWith("malformed JSON body: "), e.getMessage());
    assertTrue(e.getMessage().contains("(line 1, column "), e.getMessage());
    assertArrayEquals("{\"a\":".getBytes(StandardCharsets.UTF_8),
        BODIES.read(post("{\"a\":").header("Content-Type", "text/plain")));
    assertArrayEquals("{\"a\":1}".getBytes(StandardCharsets.UTF_8),
        BODIES.read(new MemoryCall("POST", "/x").body(new ByteArrayInputStream("{\"a\":1}".getBytes(
            StandardCharsets.UTF_8))).header("Content-Type", "application/problem+json")));
  }
}
