package io.dtac.plugin;

import io.grpc.Status;
import java.util.Objects;

/**
 * Thrown by an endpoint to answer with a specific gRPC status and a message for the caller, e.g.
 * {@code throw PluginException.invalidArgument("division by zero")}.
 */
public class PluginException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final Status.Code code;

  public PluginException(Status.Code code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  public PluginException(Status.Code code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  public static PluginException invalidArgument(String message) {
    return new PluginException(Status.Code.INVALID_ARGUMENT, message);
  }

  public static PluginException notFound(String message) {
    return new PluginException(Status.Code.NOT_FOUND, message);
  }

  public static PluginException failedPrecondition(String message) {
    return new PluginException(Status.Code.FAILED_PRECONDITION, message);
  }

  /** The status code the caller receives. */
  public Status.Code code() {
    return code;
  }
}
