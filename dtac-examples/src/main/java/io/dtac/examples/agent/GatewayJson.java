package io.dtac.examples.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Locale;

/**
 * How the gateway reads and writes JSON: one strict parser (a value followed by anything but white
 * space is malformed), one writer, and what counts as a JSON media type. Stateless and
 * thread-safe.
 */
final class GatewayJson {
  /** The media type of every JSON answer the gateway makes itself. */
  static final String MEDIA_TYPE = "application/json";

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private GatewayJson() {}

  /** A body that is not one well-formed JSON value: the parser's reason and, if known, where. */
  static final class MalformedJson extends Exception {
    private static final long serialVersionUID = 1L;

    private final String where;

    MalformedJson(String reason, String where) {
      super(reason, null, false, false);
      this.where = where;
    }

    /** What the parser said, without its location; may be null when it said nothing. */
    String reason() {
      return getMessage();
    }

    /** {@code " (line L, column C)"}, or {@code ""} when the parser did not say. */
    String where() {
      return where;
    }
  }

  /**
   * Parses one JSON value; white space after it is fine, anything else is malformed.
   *
   * @throws MalformedJson saying what is wrong and where
   */
  static JsonNode parse(byte[] json) throws MalformedJson {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new MalformedJson(e.getOriginalMessage(), e.getLocation() == null ? ""
          : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
    } catch (IOException e) {
      throw new MalformedJson(e.getMessage(), "");
    }
  }

  /** Whether {@code value} is one well-formed JSON value. */
  static boolean isWellFormed(byte[] value) {
    try {
      parse(value);
      return true;
    } catch (MalformedJson e) {
      return false;
    }
  }

  /** Whether a {@code Content-Type} declares JSON: {@code application/json} or {@code *+json}. */
  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String media = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return media.equals(MEDIA_TYPE) || media.endsWith("+json");
  }

  static ObjectNode object() {
    return JSON.createObjectNode();
  }

  static byte[] write(JsonNode node) {
    try {
      return JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serialises", e);
    }
  }
}
