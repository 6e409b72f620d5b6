package io.dtac.broker.server.internal;

import io.dtac.broker.api.AgentServiceGrpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.time.Instant;

/**
 * Refusals made before a call reaches the {@link CallGate}: by the metadata limit, the call-chain
 * check and the request guard. Each closes the call and, for {@code CallPlugin}, writes the call's
 * one audit record, as the gate does for the calls it sees. The refusing step is the record's
 * {@code rule}; the request was not parsed, so target, method and action are empty.
 */
final class Refusals {
  /** The call carried more metadata than {@link MetadataLimitInterceptor#MAX_BYTES}. */
  static final String METADATA_LIMIT = "metadata-limit";
  /** The call presented a call token that names no call in flight to its caller. */
  static final String CALL_CHAIN = "call-chain";
  /** The request message did not parse. */
  static final String REQUEST_GUARD = "request-guard";
  /** The call reached the gate with no caller identity in its context (fail closed). */
  static final String NO_IDENTITY = "no-identity";
  /** A call over a rate limit ({@link CallLimits}). */
  static final String RATE_LIMIT = "rate-limit";

  private Refusals() {}

  /**
   * Closes {@code call} with {@code status} and audits it if it is a CallPlugin call. The caller
   * is the identity in the current context, else {@value CallerIdentity#UNAUTHENTICATED}.
   *
   * @param startedNanos {@link System#nanoTime()} when the refusing step received the call
   */
  static void refuse(
      ServerCall<?, ?> call, Status status, String rule, AuditLog audit, long startedNanos) {
    // Recorded before the answer leaves, so that a caller who has its answer finds the record.
    if (AgentServiceGrpc.getCallPluginMethod()
        .getFullMethodName()
        .equals(call.getMethodDescriptor().getFullMethodName())) {
      audit.record(
          new AuditRecord(
              Instant.now().toString(), audit.nextCallId(), callerName(), "", "", "", "deny", rule,
              status.getCode().name(), (System.nanoTime() - startedNanos) / 1_000, 0, 0));
    }
    call.close(status, new Metadata());
  }

  /** The current caller's name for an audit record: the identity's, or "unauthenticated". */
  static String callerName() {
    CallerIdentity caller = CallerIdentity.current();
    return caller == null ? CallerIdentity.UNAUTHENTICATED : caller.name();
  }
}
