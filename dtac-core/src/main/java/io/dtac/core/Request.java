package io.dtac.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The input of an endpoint: what the REST gateway or a calling plugin sends. Immutable and
 * thread-safe.
 *
 * <pre>{@code
 * Request request = Request.builder().parameter("name", "Ada").jsonBody(Map.of("a", 5)).build();
 * }</pre>
 */
public final class Request extends EndpointMessage {
  private static final Request EMPTY = builder().build();

  private Request(Builder b) {
    super(b);
  }

  /**
   * A request with no metadata, headers, parameters or body.
   *
   * @return the shared empty request
   */
  public static Request empty() {
    return EMPTY;
  }

  /**
   * A request whose body is {@code value} written as JSON with Jackson.
   *
   * @param value a map, a record, a Jackson node...
   * @return a request with that body and nothing else
   * @throws IllegalArgumentException if it cannot be written as JSON
   */
  public static Request json(Object value) {
    return builder().jsonBody(value).build();
  }

  /**
   * Starts building a request.
   *
   * @return a new, empty builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Who made this call through the broker, as the broker authenticated it. Callers cannot forge
   * it: the broker overwrites the {@value Protocol#CALLER_METADATA} metadata.
   *
   * @return the calling plugin's name, {@value Protocol#HOST_CALLER} for the host application, or
   *     empty when the call did not come through a broker
   */
  public Optional<String> caller() {
    return Optional.ofNullable(metadata().get(Protocol.CALLER_METADATA));
  }

  /**
   * The chain of calls this request is part of, as the broker recorded it. Callers cannot forge
   * it: the broker overwrites the {@value Protocol#CALL_CHAIN_METADATA} metadata.
   *
   * @return the origin ({@value Protocol#HOST_CALLER} or a plugin), then every plugin called, this
   *     one last; empty when the call did not come through a broker
   */
  public List<String> callChain() {
    String chain = metadata().get(Protocol.CALL_CHAIN_METADATA);
    return chain == null || chain.isEmpty() ? List.of() : List.of(chain.split(Pattern.quote(Protocol.CHAIN_SEPARATOR)));
  }

  /**
   * The body.
   *
   * @return a copy of the body bytes (empty, never null, when there is none)
   */
  public byte[] body() {
    return payload();
  }

  /**
   * The body as text.
   *
   * @return the body decoded as UTF-8 (malformed input is replaced, never an error)
   */
  public String bodyAsString() {
    return payloadAsString();
  }

  /**
   * The body parsed as JSON.
   *
   * @return the JSON tree; an empty body is an empty object
   * @throws IllegalArgumentException if the body is not JSON
   */
  public JsonNode bodyJson() {
    return payloadJson();
  }

  /**
   * The body bound to a type with Jackson; an empty body is read as an empty object.
   *
   * @param <T> the type to bind to
   * @param type the class to bind to, e.g. a record
   * @return a new instance holding the body's values
   * @throws IllegalArgumentException if the body is not JSON or does not bind to {@code type}
   */
  public <T> T bodyAs(Class<T> type) {
    return payloadAs(type);
  }

  /**
   * The size of the body, without copying it.
   *
   * @return the number of body bytes
   */
  public int bodySize() {
    return payloadSize();
  }

  /** Builds a {@link Request}. Not thread-safe. */
  public static final class Builder extends EndpointMessage.Builder<Request, Builder> {
    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

    @Override
    public Request build() {
      return new Request(this);
    }

    /**
     * Sets the body, replacing any earlier one.
     *
     * @param body the bytes, copied
     * @return this builder
     */
    public Builder body(byte[] body) {
      return payload(body);
    }

    /**
     * Sets the body to text, replacing any earlier one.
     *
     * @param body the text, encoded as UTF-8
     * @return this builder
     */
    public Builder body(String body) {
      return payload(body.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sets the body to a value written as JSON with Jackson, replacing any earlier one. Sets no
     * header.
     *
     * @param value a map, a record, a {@code JsonNode}...
     * @return this builder
     * @throws IllegalArgumentException if the value cannot be written as JSON
     */
    public Builder jsonBody(Object value) {
      return payloadJson(value);
    }
  }
}
