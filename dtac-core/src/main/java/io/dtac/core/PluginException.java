package io.dtac.core;

import java.util.Objects;

/**
 * Thrown by an endpoint to answer with a specific status and a message for the caller, e.g.
 * {@code throw PluginException.invalidArgument("division by zero")}.
 */
public class PluginException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** The status the caller receives. */
  private final StatusCode code;

  /**
   * An answer with {@code code} and {@code message}.
   *
   * @param code the status the caller receives; not OK
   * @param message what the caller is told: say what was wrong and what to do
   * @throws NullPointerException if {@code code} is null
   */
  public PluginException(StatusCode code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  /**
   * An answer with {@code code} and {@code message}, caused by {@code cause}. The cause stays in
   * the plugin (for its logs): the caller receives the code and the message only.
   *
   * @param code the status the caller receives; not OK
   * @param message what the caller is told
   * @param cause the plugin's own reason, or null
   * @throws NullPointerException if {@code code} is null
   */
  public PluginException(StatusCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /**
   * INVALID_ARGUMENT: the request is wrong, whatever the plugin's state.
   *
   * @param message what is wrong with the request
   * @return an exception to throw from the endpoint
   */
  public static PluginException invalidArgument(String message) {
    return new PluginException(StatusCode.INVALID_ARGUMENT, message);
  }

  /**
   * NOT_FOUND: what the request names does not exist.
   *
   * @param message what was not found
   * @return an exception to throw from the endpoint
   */
  public static PluginException notFound(String message) {
    return new PluginException(StatusCode.NOT_FOUND, message);
  }

  /**
   * FAILED_PRECONDITION: the plugin is not in a state to do it (the same request may succeed
   * once the state changes).
   *
   * @param message which state stands in the way
   * @return an exception to throw from the endpoint
   */
  public static PluginException failedPrecondition(String message) {
    return new PluginException(StatusCode.FAILED_PRECONDITION, message);
  }

  /**
   * The status the caller receives.
   *
   * @return the code; never null
   */
  public StatusCode code() {
    return code;
  }
}
