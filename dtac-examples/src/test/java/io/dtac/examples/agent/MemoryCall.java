package io.dtac.examples.agent;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An {@link HttpCall} held in memory: the request as a test gives it, and the answer the gateway
 * made. It stands where the HTTP server does, so the parts behind the seam are tested without one;
 * like a server, it refuses a response header value with a line break.
 */
final class MemoryCall implements HttpCall {
  private final String method;
  private final String path;
  private final String rawQuery;
  private final Map<String, List<String>> requestHeaders = new LinkedHashMap<>();
  private InputStream body = InputStream.nullInputStream();
  private final Map<String, List<String>> responseHeaders = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
  private int status = -1;
  private byte[] responseBody;
  private boolean gone;

  /** A request for {@code target}: a decoded path, and {@code ?} and a raw query string if any. */
  MemoryCall(String method, String target) {
    int q = target.indexOf('?');
    this.method = method;
    this.path = q < 0 ? target : target.substring(0, q);
    this.rawQuery = q < 0 ? null : target.substring(q + 1);
  }

  MemoryCall header(String name, String value) {
    requestHeaders.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    return this;
  }

  MemoryCall body(String text) {
    return body(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
  }

  MemoryCall body(InputStream in) {
    this.body = in;
    return this;
  }

  /** The client goes away: answering fails as it does on a closed connection. */
  MemoryCall gone() {
    this.gone = true;
    return this;
  }

  /** The status answered; -1 before an answer. */
  int status() {
    return status;
  }

  String responseBody() {
    return responseBody == null ? null : new String(responseBody, StandardCharsets.UTF_8);
  }

  /** The values of a response header, its name matched without regard to case; empty if absent. */
  List<String> responseHeader(String name) {
    return responseHeaders.getOrDefault(name, List.of());
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public String rawQuery() {
    return rawQuery;
  }

  @Override
  public String requestHeader(String name) {
    return requestHeaders.entrySet().stream()
        .filter(e -> e.getKey().equalsIgnoreCase(name))
        .map(e -> e.getValue().get(0))
        .findFirst()
        .orElse(null);
  }

  @Override
  public Map<String, List<String>> requestHeaders() {
    return requestHeaders;
  }

  @Override
  public String remoteAddress() {
    return "127.0.0.1";
  }

  @Override
  public InputStream requestBody() {
    return body;
  }

  @Override
  public void setResponseHeader(String name, String value) {
    responseHeaders.put(name, new ArrayList<>(List.of(value)));
  }

  @Override
  public void addResponseHeader(String name, String value) {
    if (value.contains("\r") || value.contains("\n")) {
      throw new IllegalArgumentException("illegal character in the value of header " + name);
    }
    responseHeaders.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
  }

  @Override
  public void respond(int status, byte[] body) throws IOException {
    if (this.status != -1) {
      throw new IllegalStateException("answered twice: " + this.status + ", then " + status);
    }
    if (gone) {
      throw new IOException("Broken pipe");
    }
    this.status = status;
    this.responseBody = body.clone();
  }
}
