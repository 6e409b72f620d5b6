package io.dtac.plugin;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Objects;

/**
 * A call to another plugin (or to the broker) failed. {@link #code()} says why, as a gRPC status
 * code: NOT_FOUND for an unknown plugin or endpoint, UNAVAILABLE when the target or the broker is
 * not running, PERMISSION_DENIED when a policy refuses the call, DEADLINE_EXCEEDED, or the
 * target's own status. The message is the broker's or the target's, meant for people.
 */
public class PluginCallException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The message when no broker address was given: the agent has no broker, or none yet. */
  public static final String NOT_INITIALIZED = "broker client is not initialized";

  private final Status.Code code;

  public PluginCallException(Status.Code code, String message) {
    super(message);
    this.code = Objects.requireNonNull(code, "code");
  }

  PluginCallException(StatusRuntimeException e) {
    super(e.getStatus().getCode() + ": " + e.getStatus().getDescription(), e);
    this.code = e.getStatus().getCode();
  }

  /** The gRPC status code of the failure. */
  public Status.Code code() {
    return code;
  }
}
