package io.dtac.broker.server.internal;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Refuses calls whose gRPC metadata (headers) exceed {@link #MAX_BYTES}, with RESOURCE_EXHAUSTED
 * saying how much was sent. The broker's transport accepts up to {@link #TRANSPORT_MAX_BYTES}
 * so that this interceptor, rather than an HTTP/2 error the caller cannot read, answers calls
 * with thousands of headers; beyond that the caller's own gRPC library refuses to send them.
 * Sizes are counted as HTTP/2 does: name + value + 32 bytes per entry.
 */
public final class MetadataLimitInterceptor implements ServerInterceptor {
  /** The most metadata a call may carry: gRPC's default limit. */
  public static final int MAX_BYTES = 8 * 1024;

  /** The header list size the broker's transport accepts (and advertises). */
  public static final int TRANSPORT_MAX_BYTES = 256 * 1024;

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
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
      call.close(
          Status.RESOURCE_EXHAUSTED.withDescription(
              "the call carries " + entries + " metadata entries (" + size + " bytes); the broker"
                  + " accepts at most " + MAX_BYTES + " bytes of metadata per call"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return next.startCall(call, headers);
  }
}
