package io.dtac.examples.agent;

import java.util.Map;
import java.util.Objects;

/**
 * An HTTP error answer of the REST gateway: a status, a message for the caller, and extra
 * headers (e.g. {@code Allow} on a 405). Rendered as {@code {"error": MESSAGE, "status": N}}.
 */
final class HttpError extends Exception {
  private static final long serialVersionUID = 1L;

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

  int status() {
    return status;
  }

  Map<String, String> headers() {
    return headers;
  }
}
