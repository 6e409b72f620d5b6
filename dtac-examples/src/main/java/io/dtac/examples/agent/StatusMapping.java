package io.dtac.examples.agent;

import io.dtac.core.PluginCallException;
import io.grpc.Status;

/**
 * Turns the gRPC status of a failed plugin call into the REST gateway's HTTP answer.
 *
 * <p>Codes that describe the caller's request keep their usual HTTP meaning (INVALID_ARGUMENT
 * 400, NOT_FOUND 404, ...). Codes that say the plugin itself broke (INTERNAL, UNKNOWN, DATA_LOSS)
 * are 502 Bad Gateway: the gateway is fine, the plugin behind it is not. FAILED_PRECONDITION is 409
 * Conflict: the request was well formed but the system's state refuses it (the broker's call
 * cycle and call depth refusals are this). RESOURCE_EXHAUSTED is 429 Too Many Requests with
 * {@code Retry-After} when the broker's rate limits refused the call (its description starts
 * with {@value #RATE_LIMITED}), else 413: the broker's other limits are sizes (message size,
 * metadata). UNAUTHENTICATED is 502
 * too: the HTTP caller's token was already accepted, so it can only concern the plugin's own
 * credentials (e.g. towards the broker), and a 401 would send the caller after the wrong problem.
 */
final class StatusMapping {
  /** How the broker's rate-limit refusals begin. */
  static final String RATE_LIMITED = io.dtac.core.Protocol.RATE_LIMIT_REFUSAL;
  private static final java.util.regex.Pattern RETRY_AFTER = java.util.regex.Pattern.compile("Retry-After: ([0-9]{1,9})$");

  private StatusMapping() {}

  /** The HTTP status for a gRPC code other than OK. */
  static int httpStatus(Status.Code code) {
    switch (code) {
      case INVALID_ARGUMENT:
      case OUT_OF_RANGE:
        return 400;
      case PERMISSION_DENIED:
        return 403;
      case NOT_FOUND:
        return 404;
      case ALREADY_EXISTS:
      case ABORTED:
      case FAILED_PRECONDITION:
        return 409;
      case RESOURCE_EXHAUSTED:
        return 413;
      case UNIMPLEMENTED:
        return 501;
      case CANCELLED:
      case UNAVAILABLE:
        return 503;
      case DEADLINE_EXCEEDED:
        return 504;
      case OK:
        throw new IllegalArgumentException("OK is not an error");
      case UNAUTHENTICATED:
      case INTERNAL:
      case UNKNOWN:
      case DATA_LOSS:
      default:
        return 502;
    }
  }

  /** The error answer for a failed call, as {@link #toHttpError(Status)} of its code and description. */
  static HttpError toHttpError(PluginCallException e) {
    return toHttpError(Status.fromCodeValue(e.code().value()).withDescription(e.description()));
  }

  /** The error answer for a failed call: the mapped status and the status's own message. */
  static HttpError toHttpError(Status status) {
    int http = httpStatus(status.getCode());
    String description = status.getDescription();
    String message = description == null || description.isBlank()
        ? "plugin call failed: " + status.getCode()
        : description;
    if (http == 502) {
      message = "plugin error (" + status.getCode() + "): " + message;
    }
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED && message.startsWith(RATE_LIMITED)) {
      java.util.regex.Matcher m = RETRY_AFTER.matcher(message);
      return new HttpError(429, message, java.util.Map.of("Retry-After", m.find() ? m.group(1) : "1"));
    }
    return new HttpError(http, message);
  }
}
