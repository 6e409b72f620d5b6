package io.dtac.broker.server.internal;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Objects;

/**
 * Refuses calls whose gRPC metadata (headers) exceed {@link #MAX_BYTES}, with RESOURCE_EXHAUSTED
 * saying how much was sent. The broker's transport accepts up to {@link #TRANSPORT_MAX_BYTES}
 * so that this interceptor, rather than an HTTP/2 error the caller cannot read, answers calls
 * with thousands of headers; beyond that the caller's own gRPC library refuses to send them.
 * Sizes are counted as HTTP/2 does: name + value + 32 bytes per entry. A refused {@code
 * CallPlugin} is audited (rule {@value Refusals#METADATA_LIMIT}); the limit is checked before the
 * caller is authenticated, so its record names the caller "unauthenticated".
 */
public final class MetadataLimitInterceptor implements ServerInterceptor {
  /** The most metadata a call may carry: gRPC's default limit. */
  public static final int MAX_BYTES = 8 * 1024;

  /** The header list size the broker's transport accepts (and advertises). */
  public static final int TRANSPORT_MAX_BYTES = 256 * 1024;

  private final AuditLog audit;

  /** @param audit where refused CallPlugin calls are recorded */
  public MetadataLimitInterceptor(AuditLog audit) {
    this.audit = Objects.requireNonNull(audit, "audit");
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    long started = System.nanoTime();
    long size = 0;
    int entries = 0;
    for (String key : headers.keys()) {
      if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        for (byte[] v : headers.getAll(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER))) {
          size += key.length() + v.length + 32;
          entries++;
        }
      } else {
        for (String v : headers.getAll(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER))) {
          size += key.length() + v.length() + 32;
          entries++;
        }
      }
    }
    if (size > MAX_BYTES) {
      Refusals.refuse(
          call,
          Status.RESOURCE_EXHAUSTED.withDescription(
              "the call carries " + entries + " metadata entries (" + size + " bytes); the broker"
                  + " accepts at most " + MAX_BYTES + " bytes of metadata per call"),
          Refusals.METADATA_LIMIT,
          audit,
          started);
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
