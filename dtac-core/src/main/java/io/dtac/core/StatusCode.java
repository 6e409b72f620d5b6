package io.dtac.core;

/**
 * Why a call failed, in the protocol's terms: the 17 status codes of gRPC, with the same names and
 * numbers (the protocol is gRPC, so every language's plugins speak them), as the SDK's own type so
 * that no gRPC type appears in the SDK's signatures.
 */
public enum StatusCode {
  /** Not an error: the call succeeded. */
  OK,
  /** The caller cancelled the call. */
  CANCELLED,
  /** An error with no better code, e.g. an endpoint that threw an unexpected exception. */
  UNKNOWN,
  /** The request is wrong, whatever the state of the target. */
  INVALID_ARGUMENT,
  /** The deadline passed before the call completed. */
  DEADLINE_EXCEEDED,
  /** What the call names (a plugin, an endpoint, an entity) does not exist. */
  NOT_FOUND,
  /** What the call would create already exists. */
  ALREADY_EXISTS,
  /** The caller is known but may not do this, e.g. refused by the access policy. */
  PERMISSION_DENIED,
  /** A limit was reached, e.g. a message too large or a quota. */
  RESOURCE_EXHAUSTED,
  /** The target is not in a state to do this; the same call may succeed later. */
  FAILED_PRECONDITION,
  /** The call was aborted, e.g. by a concurrency conflict; retry at a higher level. */
  ABORTED,
  /** The request asks for something past a valid range. */
  OUT_OF_RANGE,
  /** The target does not implement this. */
  UNIMPLEMENTED,
  /** An invariant of the target or of the broker is broken. */
  INTERNAL,
  /** The target or the broker is not running or cannot be reached; retrying may help. */
  UNAVAILABLE,
  /** Data was lost or corrupted. */
  DATA_LOSS,
  /** The caller could not be identified. */
  UNAUTHENTICATED;

  /**
   * The code's number on the wire.
   *
   * @return its gRPC value, 0 (OK) to 16 (UNAUTHENTICATED)
   */
  public int value() {
    return ordinal();
  }

  /**
   * The code with a number, as read from the wire.
   *
   * @param value a gRPC status number
   * @return the code with that number; UNKNOWN for a number outside 0 to 16
   */
  public static StatusCode of(int value) {
    StatusCode[] all = values();
    return value >= 0 && value < all.length ? all[value] : UNKNOWN;
  }
}
