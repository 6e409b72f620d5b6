package io.dtac.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Response: the value an endpoint answers with, as JSON, text or bytes. */
class ResponseTest {
  record Result(int result) {}

  @Test
  void jsonValueSetsTheContentTypeAndBindsBackToAType() {
    Response r = Response.builder().jsonValue(new Result(8)).header("X-Extra", "1").build();
    assertEquals(new Result(8), r.valueAs(Result.class));
    assertEquals(Optional.of("application/json"), r.header("content-type"));
    assertEquals(List.of("1"), r.headers().get("X-Extra"));
    assertEquals("{\"result\":8}", r.valueAsString());
    assertEquals(12, r.valueSize());
  }

  @Test
  void aValueThatDoesNotBindIsAnIllegalArgumentNamingTheType() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Response.text("eight").valueAs(Result.class));
    assertTrue(e.getMessage().startsWith("cannot read JSON as Result: "), e.getMessage());
  }

  @Test
  void aValueThatCannotBeWrittenAsJsonIsAnIllegalArgument() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Response.json(new Object()));
    assertTrue(e.getMessage().startsWith("cannot write as JSON: "), e.getMessage());
  }

  @Test
  void textIsUtf8WithATextContentType() {
    Response r = Response.text("grüß");
    assertEquals("grüß", r.valueAsString());
    assertEquals(6, r.valueSize(), "bytes, not characters");
    assertEquals(Optional.of("text/plain; charset=utf-8"), r.header("Content-Type"));
  }

  @Test
  void theValueIsCopiedInAndOut() {
    byte[] bytes = "abc".getBytes(StandardCharsets.UTF_8);
    Response r = Response.builder().value(bytes).build();
    bytes[0] = 'x';
    r.value()[1] = 'y';
    assertArrayEquals("abc".getBytes(StandardCharsets.UTF_8), r.value());
    assertEquals(Map.of(), r.metadata());
    assertEquals(Map.of(), r.parameters());
  }
}
