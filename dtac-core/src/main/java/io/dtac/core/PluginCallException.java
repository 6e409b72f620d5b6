package io.dtac.core;

import java.util.Objects;

/**
 * A call to a plugin through the broker failed, whether a plugin made it ({@code callPlugin}) or
 * the host ({@code PluginBroker.call}). {@link #code()} says why: NOT_FOUND for an unknown plugin
 * or endpoint, UNAVAILABLE when the target or the broker is not running, PERMISSION_DENIED when a
 * policy refuses the call, UNAUTHENTICATED, DEADLINE_EXCEEDED, or the target's own status. {@link
 * #description()} is the broker's or the target's message, meant for people; {@link #getMessage()}
 * is "CODE: description".
 */
public class PluginCallException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The message when no broker address was given: the agent has no broker, or none yet. */
  public static final String NOT_INITIALIZED = "broker client is not initialized";

  /** Why the call failed. */
  private final StatusCode code;
  /** The broker's or the target's message alone, or null. */
  private final String description;

  /**
   * A failure with {@code code} and {@code description}.
   *
   * @param code why the call failed
   * @param description the broker's or the target's message for people, or null
   * @throws NullPointerException if {@code code} is null
   */
  public PluginCallException(StatusCode code, String description) {
    this(code, description, null);
  }

  /**
   * A failure with {@code code} and {@code description}, caused by {@code cause}.
   *
   * @param code why the call failed
   * @param description the broker's or the target's message for people, or null
   * @param cause what made the call fail (e.g. the transport's exception), or null
   * @throws NullPointerException if {@code code} is null
   */
  public PluginCallException(StatusCode code, String description, Throwable cause) {
    super(Objects.requireNonNull(code, "code") + ": " + description, cause);
    this.code = code;
    this.description = description;
  }

  /**
   * Why the call failed.
   *
   * @return the status code of the failure; never OK or null
   */
  public StatusCode code() {
    return code;
  }

  /**
   * The message for people, without the code that {@link #getMessage()} puts before it.
   *
   * @return the broker's or the target's message, or null when there was none
   */
  public String description() {
    return description;
  }
}
