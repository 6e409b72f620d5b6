package io.dtac.core;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.core.internal.Json;
import io.dtac.core.internal.Multimaps;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@link Request} and {@link Response} share: metadata, headers, parameters and a byte
 * payload (the request's body, the response's value). Instances are immutable and thread-safe.
 */
public abstract class EndpointMessage {
  private final Map<String, String> metadata;
  private final Map<String, List<String>> headers;
  private final Map<String, List<String>> parameters;
  private final byte[] payload;

  EndpointMessage(Builder<?, ?> b) {
    this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(b.metadata));
    this.headers = Multimaps.copyOf(b.headers);
    this.parameters = Multimaps.copyOf(b.parameters);
    this.payload = b.payload.clone();
  }

  /**
   * Free-form string metadata. Keys starting with {@value Protocol#RESERVED_PREFIX} (any case) are
   * the broker's: it removes what a caller sent under them and sets its own.
   *
   * @return an unmodifiable map in insertion order; never null
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  /**
   * The headers, by name as given; a header may have several values.
   *
   * @return an unmodifiable map of unmodifiable lists; never null
   * @see #header(String)
   */
  public Map<String, List<String>> headers() {
    return headers;
  }

  /**
   * The parameters (for a REST call, its query parameters); a parameter may have several values.
   *
   * @return an unmodifiable map of unmodifiable lists; never null
   */
  public Map<String, List<String>> parameters() {
    return parameters;
  }

  /**
   * The first value of a header, its name matched without regard to case (as HTTP does).
   *
   * @param name the header's name, e.g. {@code Content-Type}
   * @return the first value of the first header with that name that has a value, or empty
   */
  public Optional<String> header(String name) {
    return first(headers, name, true);
  }

  /**
   * The first value of a parameter, its name matched exactly.
   *
   * @param name the parameter's name
   * @return its first value, or empty when it is absent or has none
   */
  public Optional<String> parameter(String name) {
    return first(parameters, name, false);
  }

  byte[] payload() {
    return payload.clone();
  }

  String payloadAsString() {
    return new String(payload, StandardCharsets.UTF_8);
  }

  JsonNode payloadJson() {
    return Json.tree(payload);
  }

  <T> T payloadAs(Class<T> type) {
    return Json.read(payload, type);
  }

  int payloadSize() {
    return payload.length;
  }

  private static Optional<String> first(
      Map<String, List<String>> map, String name, boolean ignoreCase) {
    for (Map.Entry<String, List<String>> e : map.entrySet()) {
      boolean match = ignoreCase ? e.getKey().equalsIgnoreCase(name) : e.getKey().equals(name);
      if (match && !e.getValue().isEmpty()) {
        return Optional.of(e.getValue().get(0));
      }
    }
    return Optional.empty();
  }

  /**
   * Builds a message. Not thread-safe; {@link #build()} copies what it holds, so a builder can
   * go on to build further messages.
   *
   * @param <M> the message type built
   * @param <B> the builder's own type, returned by its setters for chaining
   */
  public abstract static class Builder<M extends EndpointMessage, B extends Builder<M, B>> {
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, List<String>> headers = new LinkedHashMap<>();
    private final Map<String, List<String>> parameters = new LinkedHashMap<>();
    private byte[] payload = new byte[0];

    Builder() {}

    abstract B self();

    /**
     * Builds the immutable message from what was set so far. The builder can be reused; later
     * changes do not affect messages already built.
     *
     * @return a new message
     */
    public abstract M build();

    /**
     * Sets a metadata entry, replacing any value under {@code key}.
     *
     * @param key the key
     * @param value the value
     * @return this builder
     */
    public B metadata(String key, String value) {
      metadata.put(key, value);
      return self();
    }

    /**
     * Sets every entry of {@code all}, replacing values under the same keys.
     *
     * @param all the entries to set
     * @return this builder
     */
    public B metadata(Map<String, String> all) {
      metadata.putAll(all);
      return self();
    }

    /**
     * Adds a value to a header, after any it has.
     *
     * @param name the header's name
     * @param value the value to add
     * @return this builder
     */
    public B header(String name, String value) {
      headers.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
      return self();
    }

    /**
     * Adds the values of every header in {@code all}, after any the headers have.
     *
     * @param all headers and their values
     * @return this builder
     */
    public B headers(Map<String, List<String>> all) {
      all.forEach((k, v) -> headers.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
      return self();
    }

    /**
     * Adds a value to a parameter, after any it has.
     *
     * @param name the parameter's name
     * @param value the value to add
     * @return this builder
     */
    public B parameter(String name, String value) {
      parameters.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
      return self();
    }

    /**
     * Adds the values of every parameter in {@code all}, after any the parameters have.
     *
     * @param all parameters and their values
     * @return this builder
     */
    public B parameters(Map<String, List<String>> all) {
      all.forEach((k, v) -> parameters.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
      return self();
    }

    B payload(byte[] bytes) {
      this.payload = bytes.clone();
      return self();
    }

    B payloadJson(Object value) {
      this.payload = Json.write(value);
      return self();
    }
  }
}
