package io.dtac.examples.agent;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.function.IntSupplier;

/**
 * A span per gateway request, continuing the trace of an incoming W3C {@code traceparent} header
 * (or starting one), current while the request is served so that the broker's span of the plugin
 * call is its child. Span name: the HTTP method (a path is the caller's choice, so it is an
 * attribute, not the name); attributes {@code http.request.method}, {@code url.path}, {@code
 * http.response.status_code}. With the no-op OpenTelemetry this costs next to nothing.
 */
final class GatewayTracing {
  private static final TextMapGetter<HttpCall> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(HttpCall call) {
      return call.requestHeaders().keySet();
    }

    @Override
    public String get(HttpCall call, String key) {
      return call == null ? null : call.requestHeader(key);
    }
  };

  private final Tracer tracer;

  GatewayTracing(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer("io.dtac.examples.agent");
  }

  /** Serves {@code call} inside its span; returns the HTTP status {@code serve} answered. */
  int traced(HttpCall call, IntSupplier serve) {
    Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), call, HEADERS);
    Span span =
        tracer.spanBuilder(call.method())
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("http.request.method", call.method())
            .setAttribute("url.path", call.path())
            .startSpan();
    int status = 500;
    try (Scope ignored = span.makeCurrent()) {
      status = serve.getAsInt();
      return status;
    } finally {
      span.setAttribute("http.response.status_code", status);
      if (status >= 500) {
        span.setStatus(StatusCode.ERROR);
      }
      span.end();
    }
  }
}
