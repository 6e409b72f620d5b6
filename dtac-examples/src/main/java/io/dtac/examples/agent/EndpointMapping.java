package io.dtac.examples.agent;

import io.dtac.core.Request;
import io.dtac.core.Response;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How an HTTP request becomes the {@link Request} a plugin endpoint receives, and its {@link
 * Response} the HTTP answer. Query parameters (decoded, repeatable) are the parameters; the
 * headers, but {@code Authorization}, are the headers, names in {@code Canonical-Form}; metadata
 * carries {@code http_method}, {@code http_path} and {@code remote_address}. The response's value
 * is the body and its headers, but hop-by-hop ones, are HTTP headers. Stateless.
 */
final class EndpointMapping {
  private static final Logger LOG = LoggerFactory.getLogger(EndpointMapping.class);
  /** Set by the HTTP server itself, or meaningless across a proxy hop: never copied from a plugin. */
  private static final Set<String> RESERVED_RESPONSE_HEADERS =
      Set.of("content-length", "transfer-encoding", "connection", "keep-alive", "date", "upgrade",
          "trailer", "te");

  private EndpointMapping() {}

  /**
   * The request for the endpoint.
   *
   * @param body the request's body, already read and checked
   * @throws HttpError 400 for a malformed query string
   */
  static Request toRequest(HttpCall call, byte[] body) throws HttpError {
    // One list a canonical name: of two spellings of a header, the last one the server reports wins.
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> h : call.requestHeaders().entrySet()) {
      if (!h.getKey().equalsIgnoreCase(BearerAuth.HEADER)) {
        headers.put(canonicalHeaderName(h.getKey()), List.copyOf(h.getValue()));
      }
    }
    return Request.builder()
        .body(body)
        .headers(headers)
        .parameters(parseQuery(call.rawQuery()))
        .metadata("http_method", call.method())
        .metadata("http_path", call.path())
        .metadata("remote_address", call.remoteAddress())
        .build();
  }

  /** "content-type" -> "Content-Type", the form Go's net/http (and so most DTAC plugins) use. */
  static String canonicalHeaderName(String name) {
    StringBuilder sb = new StringBuilder(name.length());
    boolean upper = true;
    for (char c : name.toCharArray()) {
      sb.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
      upper = c == '-';
    }
    return sb.toString();
  }

  /**
   * Parses a raw query string into decoded, multi-valued parameters in order; a name without
   * {@code =} has the value {@code ""}.
   *
   * @throws HttpError 400 for a malformed percent-escape
   */
  static Map<String, List<String>> parseQuery(String rawQuery) throws HttpError {
    Map<String, List<String>> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    try {
      for (String pair : rawQuery.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        params.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
      }
    } catch (IllegalArgumentException e) {
      throw new HttpError(400, "malformed query string: " + e.getMessage());
    }
    return params;
  }

  /**
   * Answers 200 with the endpoint's response. Without a {@code Content-Type} from the plugin, a
   * value that parses as JSON is {@code application/json}, any other {@code
   * application/octet-stream}. A header the server refuses is dropped and logged.
   *
   * @return the status sent
   */
  static int send(HttpCall call, Response response) {
    String contentType = null;
    for (Map.Entry<String, List<String>> h : response.headers().entrySet()) {
      String name = h.getKey();
      if (RESERVED_RESPONSE_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        continue;
      }
      if (name.equalsIgnoreCase("Content-Type")) {
        contentType = h.getValue().isEmpty() ? null : h.getValue().get(0);
        continue;
      }
      for (String value : h.getValue()) {
        try {
          call.addResponseHeader(name, value);
        } catch (IllegalArgumentException e) {
          LOG.warn("dropped response header '{}' from the plugin: {}", name, e.getMessage());
        }
      }
    }
    byte[] value = response.value();
    if (contentType == null && value.length > 0) {
      contentType = GatewayJson.isWellFormed(value) ? GatewayJson.MEDIA_TYPE : "application/octet-stream";
    }
    return ResponseWriter.send(call, 200, contentType, value);
  }
}
