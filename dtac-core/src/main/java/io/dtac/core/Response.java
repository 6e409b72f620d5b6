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

  /**
   * Starts building a response.
   *
   * @return a new, empty builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A JSON response.
   *
   * @param value a map, a record, a Jackson node... written as JSON with Jackson
   * @return a response with that value and {@code Content-Type: application/json}
   * @throws IllegalArgumentException if the value cannot be written as JSON
   */
  public static Response json(Object value) {
    return builder().jsonValue(value).build();
  }

  /**
   * A text response.
   *
   * @param value the text, encoded as UTF-8
   * @return a response with that value and {@code Content-Type: text/plain; charset=utf-8}
   */
  public static Response text(String value) {
    return builder().value(value).header("Content-Type", "text/plain; charset=utf-8").build();
  }

  /**
   * The value: what the endpoint answered.
   *
   * @return a copy of the value bytes (empty, never null, when there is none)
   */
  public byte[] value() {
    return payload();
  }

  /**
   * The value as text.
   *
   * @return the value decoded as UTF-8 (malformed input is replaced, never an error)
   */
  public String valueAsString() {
    return payloadAsString();
  }

  /**
   * The value parsed as JSON.
   *
   * @return the JSON tree; an empty value is an empty object
   * @throws IllegalArgumentException if the value is not JSON
   */
  public JsonNode valueJson() {
    return payloadJson();
  }

  /**
   * The value bound to a type with Jackson; an empty value is read as an empty object.
   *
   * @param <T> the type to bind to
   * @param type the class to bind to, e.g. a record
   * @return a new instance holding the value's fields
   * @throws IllegalArgumentException if the value is not JSON or does not bind to {@code type}
   */
  public <T> T valueAs(Class<T> type) {
    return payloadAs(type);
  }

  /**
   * The size of the value, without copying it.
   *
   * @return the number of value bytes
   */
  public int valueSize() {
    return payloadSize();
  }

  /** Builds a {@link Response}. Not thread-safe. */
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

    /**
     * Sets the value, replacing any earlier one. Sets no header.
     *
     * @param value the bytes, copied
     * @return this builder
     */
    public Builder value(byte[] value) {
      return payload(value);
    }

    /**
     * Sets the value to text, replacing any earlier one. Sets no header.
     *
     * @param value the text, encoded as UTF-8
     * @return this builder
     */
    public Builder value(String value) {
      return payload(value.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sets the value to {@code value} written as JSON with Jackson, replacing any earlier one,
     * and adds the header {@code Content-Type: application/json}.
     *
     * @param value a map, a record, a {@code JsonNode}...
     * @return this builder
     * @throws IllegalArgumentException if the value cannot be written as JSON
     */
    public Builder jsonValue(Object value) {
      header("Content-Type", "application/json");
      return payloadJson(value);
    }
  }
}
