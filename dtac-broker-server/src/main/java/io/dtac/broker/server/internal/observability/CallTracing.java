package io.dtac.broker.server.internal.observability;

import io.grpc.Metadata;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Traces of brokered calls: a span per call, continuing the trace the caller is in (the W3C
 * {@code traceparent} header of a plugin's {@code CallPlugin}, or the host thread's current
 * OpenTelemetry context), and carried on to the target plugin. The implementation behind a host's
 * {@code OpenTelemetry} is {@link OpenTelemetryTracing}; without one, {@link #NONE} does nothing
 * and no OpenTelemetry class is loaded.
 */
public interface CallTracing {
  /** Traces nothing. */
  CallTracing NONE = new CallTracing() {
    @Override
    public Span start(String callId, String caller, String target, String method, String action) {
      return Span.NONE;
    }

    @Override
    public ServerInterceptor incoming() {
      return null;
    }
  };

  /** The span of one brokered call. */
  interface Span {
    /** Not traced. */
    Span NONE = new Span() {
      @Override
      public String traceId() {
        return "";
      }

      @Override
      public Metadata outgoingHeaders() {
        return null;
      }

      @Override
      public void end(Status.Code code) {}
    };

    /** The trace's id, 32 hex digits; empty when not traced. */
    String traceId();

    /** The headers that carry this span's context to the target plugin; null when not traced. */
    Metadata outgoingHeaders();

    /** The call's answer is known: records its status and ends the span. */
    void end(Status.Code code);
  }

  /** Starts the span of a call entering the broker. */
  Span start(String callId, String caller, String target, String method, String action);

  /**
   * The interceptor that reads a plugin caller's trace context from its {@code CallPlugin}
   * headers, or null when not tracing.
   */
  ServerInterceptor incoming();
}
