package io.dtac.broker.server.internal.observability;

import io.dtac.core.Protocol;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;

/**
 * Brokered calls as OpenTelemetry spans. Trace context travels in W3C Trace Context headers
 * ({@code traceparent}, {@code tracestate}) as gRPC metadata, whatever propagators the host
 * configured: that is the format plugins in every language understand.
 *
 * <p>Span {@value #SPAN_NAME}, kind SERVER, with attributes {@code dtac.caller}, {@code
 * dtac.target}, {@code dtac.method}, {@code dtac.action}, {@code dtac.call_id} and {@code
 * rpc.grpc.status_code}. Its parent is the trace context of the plugin's {@code CallPlugin}
 * headers, else the host thread's current context (e.g. the REST gateway's span).
 */
public final class OpenTelemetryTracing implements CallTracing {
  /** The name of every brokered call's span: fixed, so callers cannot choose span names. */
  public static final String SPAN_NAME = "dtac.broker.call";

  private static final TextMapPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final io.grpc.Context.Key<Context> CALLER_CONTEXT = io.grpc.Context.key("dtac-trace-parent");

  private static final TextMapGetter<Metadata> FROM_METADATA = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Metadata carrier) {
      return carrier.keys();
    }

    @Override
    public String get(Metadata carrier, String key) {
      return carrier == null ? null : carrier.get(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER));
    }
  };

  private static final TextMapSetter<Metadata> TO_METADATA =
      (carrier, key, value) -> carrier.put(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), value);

  private static final Metadata.Key<String> TRACEPARENT =
      Metadata.Key.of(Protocol.TRACE_PARENT, Metadata.ASCII_STRING_MARSHALLER);

  private final Tracer tracer;

  public OpenTelemetryTracing(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer("io.dtac.broker");
  }

  @Override
  public Span start(String callId, String caller, String target, String method, String action) {
    Context parent = CALLER_CONTEXT.get();
    if (parent == null) {
      parent = Context.current();
    }
    io.opentelemetry.api.trace.Span span =
        tracer.spanBuilder(SPAN_NAME)
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("dtac.caller", caller)
            .setAttribute("dtac.target", target)
            .setAttribute("dtac.method", method)
            .setAttribute("dtac.action", action)
            .setAttribute("dtac.call_id", callId)
            .startSpan();
    return new OtelSpan(span);
  }

  private static final class OtelSpan implements Span {
    private final io.opentelemetry.api.trace.Span span;

    OtelSpan(io.opentelemetry.api.trace.Span span) {
      this.span = span;
    }

    @Override
    public String traceId() {
      return span.getSpanContext().isValid() ? span.getSpanContext().getTraceId() : "";
    }

    @Override
    public Metadata outgoingHeaders() {
      Metadata headers = new Metadata();
      W3C.inject(Context.root().with(span), headers, TO_METADATA);
      return headers;
    }

    @Override
    public void end(Status.Code code) {
      span.setAttribute("rpc.grpc.status_code", code.value());
      if (code != Status.Code.OK) {
        span.setStatus(StatusCode.ERROR, code.name());
      }
      span.end();
    }
  }

  @Override
  public ServerInterceptor incoming() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (headers.get(TRACEPARENT) == null) {
          return next.startCall(call, headers);
        }
        Context extracted = W3C.extract(Context.root(), headers, FROM_METADATA);
        return Contexts.interceptCall(
            io.grpc.Context.current().withValue(CALLER_CONTEXT, extracted), call, headers, next);
      }
    };
  }
}
