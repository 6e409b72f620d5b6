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

  /** A request with nothing in it. */
  public static Request empty() {
    return EMPTY;
  }

  /**
   * A request whose body is {@code value} as JSON (a map, a record, a Jackson node...).
   *
   * @throws IllegalArgumentException if it cannot be written as JSON
   */
  public static Request json(Object value) {
    return builder().jsonBody(value).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The plugin that made this call through the broker ({@value Protocol#HOST_CALLER} for the host application), as the
   * broker authenticated it; empty when the call did not come through a broker. Callers cannot
   * forge it: the broker overwrites the {@value Protocol#CALLER_METADATA} metadata.
   */
  public Optional<String> caller() {
    return Optional.ofNullable(metadata().get(Protocol.CALLER_METADATA));
  }

  /**
   * The chain of calls this request is part of, as the broker recorded it: the origin ({@value
   * Protocol#HOST_CALLER} or a plugin), then every plugin called, this one last. Empty when the call did not come
   * through a broker. Callers cannot forge it.
   */
  public List<String> callChain() {
    String chain = metadata().get(Protocol.CALL_CHAIN_METADATA);
    return chain == null || chain.isEmpty() ? List.of() : List.of(chain.split(Pattern.quote(Protocol.CHAIN_SEPARATOR)));
  }

  /** A copy of the body bytes. */
  public byte[] body() {
    return payload();
  }

  /** The body decoded as UTF-8. */
  public String bodyAsString() {
    return payloadAsString();
  }

  /**
   * The body parsed as JSON; an empty body is an empty object.
   *
   * @throws IllegalArgumentException if the body is not JSON
   */
  public JsonNode bodyJson() {
    return payloadJson();
  }

  /**
   * The body bound to a type with Jackson; an empty body is an empty object.
   *
   * @throws IllegalArgumentException if the body does not bind
   */
  public <T> T bodyAs(Class<T> type) {
    return payloadAs(type);
  }

  /** The size of the body in bytes. */
  public int bodySize() {
    return payloadSize();
  }

  /** Builds a {@link Request}. */
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

    public Builder body(byte[] body) {
      return payload(body);
    }

    public Builder body(String body) {
      return payload(body.getBytes(StandardCharsets.UTF_8));
    }

    /** Serialises a value (a map, a record, a {@code JsonNode}...) as the JSON body. */
    public Builder jsonBody(Object value) {
      return payloadJson(value);
    }
  }
}
