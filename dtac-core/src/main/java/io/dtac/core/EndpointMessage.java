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

  /** Free-form string metadata; never null. */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Headers; a header may have several values. Never null. */
  public Map<String, List<String>> headers() {
    return headers;
  }

  /** Parameters; a parameter may have several values. Never null. */
  public Map<String, List<String>> parameters() {
    return parameters;
  }

  /** The first value of a header, matched without regard to case. */
  public Optional<String> header(String name) {
    return first(headers, name, true);
  }

  /** The first value of a parameter. */
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

  /** Builds a message; not thread-safe. */
  public abstract static class Builder<M extends EndpointMessage, B extends Builder<M, B>> {
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, List<String>> headers = new LinkedHashMap<>();
    private final Map<String, List<String>> parameters = new LinkedHashMap<>();
    private byte[] payload = new byte[0];

    Builder() {}

    abstract B self();

    /** Builds the immutable message. The builder can be reused. */
    public abstract M build();

    public B metadata(String key, String value) {
      metadata.put(key, value);
      return self();
    }

    public B metadata(Map<String, String> all) {
      metadata.putAll(all);
      return self();
    }

    /** Adds a value to a header. */
    public B header(String name, String value) {
      headers.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
      return self();
    }

    public B headers(Map<String, List<String>> all) {
      all.forEach((k, v) -> headers.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
      return self();
    }

    /** Adds a value to a parameter. */
    public B parameter(String name, String value) {
      parameters.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
      return self();
    }

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
