package io.dtac.core;

import java.util.Objects;

/**
 * Thrown by an endpoint to answer with a specific status and a message for the caller, e.g.
 * {@code throw PluginException.invalidArgument("division by zero")}.
 */
public class PluginException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final StatusCode code;

  /** An answer with {@code code} (not OK) and {@code message}. */
  public PluginException(StatusCode code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  /** An answer with {@code code} (not OK) and {@code message}, caused by {@code cause}. */
  public PluginException(StatusCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /** INVALID_ARGUMENT: the request is wrong. */
  public static PluginException invalidArgument(String message) {
    return new PluginException(StatusCode.INVALID_ARGUMENT, message);
  }

  /** NOT_FOUND: what the request names does not exist. */
  public static PluginException notFound(String message) {
    return new PluginException(StatusCode.NOT_FOUND, message);
  }

  /** FAILED_PRECONDITION: the plugin is not in a state to do it. */
  public static PluginException failedPrecondition(String message) {
    return new PluginException(StatusCode.FAILED_PRECONDITION, message);
  }

  /** The status code the caller receives. */
  public StatusCode code() {
    return code;
  }
}
