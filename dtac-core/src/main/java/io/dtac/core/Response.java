package io.dtac.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;

/**
 * The output of an endpoint. Immutable and thread-safe.
 *
 * <pre>{@code
 * return Response.json(Map.of("message", "hello"));
 * }</pre>
 */
public final class Response extends EndpointMessage {
  private Response(Builder b) {
    super(b);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A response whose value is {@code value} serialised as JSON, with a JSON content type. */
  public static Response json(Object value) {
    return builder().jsonValue(value).build();
  }

  /** A response whose value is UTF-8 text. */
  public static Response text(String value) {
    return builder().value(value).header("Content-Type", "text/plain; charset=utf-8").build();
  }

  /** A copy of the value bytes. */
  public byte[] value() {
    return payload();
  }

  /** The value decoded as UTF-8. */
  public String valueAsString() {
    return payloadAsString();
  }

  /**
   * The value parsed as JSON; an empty value is an empty object.
   *
   * @throws IllegalArgumentException if the value is not JSON
   */
  public JsonNode valueJson() {
    return payloadJson();
  }

  /** The value bound to a type with Jackson. */
  public <T> T valueAs(Class<T> type) {
    return payloadAs(type);
  }

  /** The size of the value in bytes. */
  public int valueSize() {
    return payloadSize();
  }

  /** Builds a {@link Response}. */
  public static final class Builder extends EndpointMessage.Builder<Response, Builder> {
    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

    @Override
    public Response build() {
      return new Response(this);
    }

    public Builder value(byte[] value) {
      return payload(value);
    }

    public Builder value(String value) {
      return payload(value.getBytes(StandardCharsets.UTF_8));
    }

    /** Serialises a value as JSON and sets {@code Content-Type: application/json}. */
    public Builder jsonValue(Object value) {
      header("Content-Type", "application/json");
      return payloadJson(value);
    }
  }
}
