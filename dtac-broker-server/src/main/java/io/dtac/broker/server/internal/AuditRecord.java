package io.dtac.broker.server.internal;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One audit record: one brokered call, allowed, denied or refused. Serialised as one JSON object per line,
 * fields in this order. Holds names, codes and sizes only, never payloads or credentials.
 *
 * @param time when the broker received the call, ISO-8601 UTC
 * @param callId unique within the broker's run: a random run prefix and a sequence number
 * @param caller the authenticated caller: a plugin name, "agent" for the host, or
 *     "unauthenticated" when the call was refused before a caller was established (both names
 *     are reserved: no plugin can have them)
 * @param target the plugin called; empty when the call was refused before its request was read
 * @param method the endpoint path called; empty likewise
 * @param action the endpoint action called; empty likewise
 * @param decision "allow" or "deny"
 * @param rule what decided: a policy rule's id, "default" (the policy's default effect), "host"
 *     (host calls are not subject to the policy), or the check that refused the call before the
 *     policy: "authentication", "metadata-limit", "call-chain", "request-guard", "no-identity" (see
 *     {@link Refusals})
 * @param status the gRPC status code the caller received, e.g. "OK", "PERMISSION_DENIED"
 * @param durationMicros from receipt to answer
 * @param requestBytes serialised size of the request (EndpointRequest)
 * @param responseBytes serialised size of the response (EndpointResponse); 0 when it failed
 * @param traceId the OpenTelemetry trace the call is part of (32 hex digits), when tracing is on;
 *     empty (and left out of the JSON) otherwise: a trace and an audit line join on it
 */
@JsonPropertyOrder({
  "time", "callId", "caller", "target", "method", "action", "decision", "rule", "status",
  "durationMicros", "requestBytes", "responseBytes", "traceId"
})
public record AuditRecord(
    String time,
    String callId,
    String caller,
    String target,
    String method,
    String action,
    String decision,
    String rule,
    String status,
    long durationMicros,
    long requestBytes,
    long responseBytes,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) String traceId) {

  /**
   * The longest target, method or action a record keeps: they are what the caller sent, before
   * any check, so a longer one is cut and marked, and no caller makes a record as long as it likes.
   */
  public static final int MAX_FIELD_LENGTH = 256;

  /** Cuts the fields the caller chose to {@link #MAX_FIELD_LENGTH}. */
  public AuditRecord {
    target = clip(target);
    method = clip(method);
    action = clip(action);
  }

  private static String clip(String s) {
    if (s == null || s.length() <= MAX_FIELD_LENGTH) {
      return s;
    }
    return s.substring(0, MAX_FIELD_LENGTH) + "...(" + (s.length() - MAX_FIELD_LENGTH) + " more characters)";
  }

  /** A record of a call that is part of no trace. */
  public AuditRecord(
      String time, String callId, String caller, String target, String method, String action,
      String decision, String rule, String status, long durationMicros, long requestBytes,
      long responseBytes) {
    this(time, callId, caller, target, method, action, decision, rule, status, durationMicros,
        requestBytes, responseBytes, "");
  }
}
