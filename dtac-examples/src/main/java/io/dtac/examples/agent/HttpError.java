package io.dtac.examples.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An HTTP error answer of the REST gateway: a status, a message for the caller, and extra
 * headers (e.g. {@code Allow} on a 405). Rendered as {@code {"error": MESSAGE, "status": N}}
 * ({@link #json()}), the one shape of every error the gateway answers.
 */
final class HttpError extends Exception {
  private static final long serialVersionUID = 1L;

  /** The header of an answer that asks the client to come back in a second (a 429 or a 503). */
  static final Map<String, String> RETRY_SOON = Map.of("Retry-After", "1");

  private final int status;
  private final transient Map<String, String> headers;

  HttpError(int status, String message) {
    this(status, message, Map.of());
  }

  HttpError(int status, String message, Map<String, String> headers) {
    super(Objects.requireNonNull(message, "message"), null, false, false);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("an HTTP error status is 400 to 599, got " + status);
    }
    this.status = status;
    this.headers = Map.copyOf(headers);
  }

  /** {@code status} with {@link #RETRY_SOON}: the refusal is of the moment, not of the request. */
  static HttpError retrySoon(int status, String message) {
    return new HttpError(status, message, RETRY_SOON);
  }

  /**
   * 405 for {@code method} on {@code path}, which answers only {@code allowed} (listed in this
   * order in the message and in {@code Allow}).
   */
  static HttpError methodNotAllowed(String method, String path, Collection<String> allowed) {
    String allow = String.join(", ", allowed);
    return new HttpError(405, "method " + method + " not allowed on " + path + "; allowed: " + allow,
        Map.of("Allow", allow));
  }

  /**
   * Passes if {@code method} is one of {@code allowed}.
   *
   * @throws HttpError {@link #methodNotAllowed} otherwise
   */
  static void requireMethod(String method, String path, String... allowed) throws HttpError {
    if (!List.of(allowed).contains(method)) {
      throw methodNotAllowed(method, path, List.of(allowed));
    }
  }

  int status() {
    return status;
  }

  Map<String, String> headers() {
    return headers;
  }

  /** The answer's body, {@code {"error": MESSAGE, "status": N}}, of type {@link GatewayJson#MEDIA_TYPE}. */
  byte[] json() {
    ObjectNode o = GatewayJson.object();
    o.put("error", getMessage());
    o.put("status", status);
    return GatewayJson.write(o);
  }
}
