package io.dtac.plugin.internal;

import io.dtac.core.Protocol;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;

/**
 * Carries the W3C trace context ({@code traceparent}, {@code tracestate} gRPC headers) of the
 * endpoint call being served on to the broker calls the endpoint makes, so that a chain of calls
 * A -> B -> C through the broker is one trace, without the plugin needing OpenTelemetry. The
 * plugin host {@linkplain #capturing(BindableService) captures} the headers into the gRPC {@link
 * Context} of each incoming call; {@link #interceptor()} sends them on broker calls made in that
 * context (on other threads too, if the context is propagated, as for the call token).
 */
public final class TraceContext {
  private static final Metadata.Key<String> PARENT_HEADER =
      Metadata.Key.of(Protocol.TRACE_PARENT, Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> STATE_HEADER =
      Metadata.Key.of(Protocol.TRACE_STATE, Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> PARENT = Context.key(Protocol.TRACE_PARENT);
  private static final Context.Key<String> STATE = Context.key(Protocol.TRACE_STATE);
  /** W3C: version "00", 32 + 16 hex digits and flags: 55 characters; a longer value is not passed on. */
  private static final int MAX_PARENT_LENGTH = 55;
  /** W3C: at most 32 list members of at most 256 characters each. */
  private static final int MAX_STATE_LENGTH = 8192;

  private TraceContext() {}

  /** {@code service} with each call's trace headers captured into its gRPC context. */
  public static BindableService capturing(BindableService service) {
    ServerInterceptor capture = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String parent = headers.get(PARENT_HEADER);
        if (parent == null || parent.length() > MAX_PARENT_LENGTH) {
          return next.startCall(call, headers);
        }
        Context context = Context.current().withValue(PARENT, parent);
        String state = headers.get(STATE_HEADER);
        if (state != null && state.length() <= MAX_STATE_LENGTH) {
          context = context.withValue(STATE, state);
        }
        return Contexts.interceptCall(context, call, headers, next);
      }
    };
    return () -> ServerInterceptors.intercept(service, capture);
  }

  /** The {@code traceparent} of the endpoint call the current thread serves, or null. */
  public static String currentParent() {
    return PARENT.get();
  }

  /** Adds the current trace context, if any, to outgoing calls. */
  public static ClientInterceptor interceptor() {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        String parent = PARENT.get();
        ClientCall<Q, R> call = next.newCall(method, options);
        if (parent == null) {
          return call;
        }
        String state = STATE.get();
        return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(PARENT_HEADER, parent);
            if (state != null) {
              headers.put(STATE_HEADER, state);
            }
            super.start(listener, headers);
          }
        };
      }
    };
  }
}
