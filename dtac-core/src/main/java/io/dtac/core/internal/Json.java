package io.dtac.core.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/** The one shared, thread-safe Jackson mapper of the SDK. */
public final class Json {
  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  public static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot write as JSON: " + e.getMessage(), e);
    }
  }

  /** Reads JSON; empty input is an empty object. */
  public static JsonNode tree(byte[] bytes) {
    if (bytes.length == 0) {
      return MAPPER.createObjectNode();
    }
    try {
      return MAPPER.readTree(bytes);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("malformed JSON: " + e.getMessage(), e);
    }
  }

  public static <T> T read(byte[] bytes, Class<T> type) {
    try {
      return MAPPER.readValue(bytes.length == 0 ? "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8) : bytes, type);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read JSON as " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

}
