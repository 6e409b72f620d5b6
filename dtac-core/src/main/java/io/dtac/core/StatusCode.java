package io.dtac.core;

/**
 * Why a call failed, in the protocol's terms: the 17 status codes of gRPC, with the same names and
 * numbers (the protocol is gRPC, so every language's plugins speak them), as the SDK's own type so
 * that no gRPC type appears in the SDK's signatures.
 */
public enum StatusCode {
  OK,
  CANCELLED,
  UNKNOWN,
  INVALID_ARGUMENT,
  DEADLINE_EXCEEDED,
  NOT_FOUND,
  ALREADY_EXISTS,
  PERMISSION_DENIED,
  RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION,
  ABORTED,
  OUT_OF_RANGE,
  UNIMPLEMENTED,
  INTERNAL,
  UNAVAILABLE,
  DATA_LOSS,
  UNAUTHENTICATED;

  /** The code's number on the wire (its gRPC value). */
  public int value() {
    return ordinal();
  }

  /** The code with number {@code value}; UNKNOWN for a number outside 0 to 16. */
  public static StatusCode of(int value) {
    StatusCode[] all = values();
    return value >= 0 && value < all.length ? all[value] : UNKNOWN;
  }
}
