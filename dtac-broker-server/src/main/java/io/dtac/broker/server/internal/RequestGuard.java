package io.dtac.broker.server.internal;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.InputStream;
import java.util.Objects;

/**
 * Answers a request message that does not parse (for example a name that is not valid UTF-8)
 * with INVALID_ARGUMENT saying why. Without it gRPC answers UNKNOWN "Application error
 * processing RPC", which tells the caller nothing. A refused {@code CallPlugin} is audited (rule
 * {@value Refusals#REQUEST_GUARD}) with the caller the interceptors established, so guard the
 * service itself and put the interceptors around it: {@code
 * ServerInterceptors.intercept(RequestGuard.guard(service, audit), ...)} (see {@link
 * AgentServiceChain}). The interceptors never look at messages, so the guard's request type is
 * opaque to them.
 */
public final class RequestGuard {
  private RequestGuard() {}

  /**
   * {@code service} with every method's request parsing guarded.
   *
   * @param audit where refused CallPlugin calls are recorded
   */
  public static ServerServiceDefinition guard(ServerServiceDefinition service, AuditLog audit) {
    Objects.requireNonNull(audit, "audit");
    ServerServiceDefinition.Builder guarded =
        ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      guarded.addMethod(guard(method, audit));
    }
    return guarded.build();
  }

  private static <Q, R> ServerMethodDefinition<Parsed<Q>, R> guard(
      ServerMethodDefinition<Q, R> def, AuditLog audit) {
    MethodDescriptor<Q, R> original = def.getMethodDescriptor();
    MethodDescriptor<Parsed<Q>, R> lenient =
        original
            .toBuilder(new LenientMarshaller<>(original.getRequestMarshaller()), original.getResponseMarshaller())
            .build();
    ServerCallHandler<Q, R> handler = def.getServerCallHandler();
    return ServerMethodDefinition.create(
        lenient, (call, headers) -> start(original, handler, call, headers, audit));
  }

  @SuppressWarnings("unchecked")
  private static <Q, R> ServerCall.Listener<Parsed<Q>> start(
      MethodDescriptor<Q, R> original,
      ServerCallHandler<Q, R> handler,
      ServerCall<Parsed<Q>, R> call,
      Metadata headers,
      AuditLog audit) {
    long started = System.nanoTime();
    // The request type only matters to getMethodDescriptor(); everything else passes through.
    TypedCall<Q, R> typed = new TypedCall<>((ServerCall<Q, R>) (ServerCall<?, ?>) call, original);
    ServerCall.Listener<Q> delegate = handler.startCall(typed, headers);
    return new ServerCall.Listener<>() {
      private boolean refused;

      @Override
      public void onMessage(Parsed<Q> message) {
        if (refused) {
          return;
        }
        if (message.failure != null) {
          refused = true;
          if (!typed.closed) {
            Refusals.refuse(
                typed,
                Status.INVALID_ARGUMENT
                    .withDescription(
                        "the request is not a valid " + original.getFullMethodName() + " message: "
                            + describe(message.failure))
                    .withCause(message.failure),
                Refusals.REQUEST_GUARD,
                audit,
                started);
          }
          return;
        }
        delegate.onMessage(message.value);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          delegate.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        delegate.onCancel();
      }

      @Override
      public void onComplete() {
        delegate.onComplete();
      }

      @Override
      public void onReady() {
        delegate.onReady();
      }
    };
  }

  private static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return message == null || message.isEmpty() ? root.getClass().getSimpleName() : message;
  }

  /** A request as parsed: the message, or why it could not be parsed. */
  private static final class Parsed<Q> {
    final Q value;
    final RuntimeException failure;

    Parsed(Q value, RuntimeException failure) {
      this.value = value;
      this.failure = failure;
    }
  }

  private static final class LenientMarshaller<Q> implements MethodDescriptor.Marshaller<Parsed<Q>> {
    private final MethodDescriptor.Marshaller<Q> delegate;

    LenientMarshaller(MethodDescriptor.Marshaller<Q> delegate) {
      this.delegate = delegate;
    }

    @Override
    public InputStream stream(Parsed<Q> value) {
      return delegate.stream(value.value);
    }

    @Override
    public Parsed<Q> parse(InputStream stream) {
      try {
        return new Parsed<>(delegate.parse(stream), null);
      } catch (RuntimeException e) {
        return new Parsed<>(null, e);
      }
    }
  }

  private static final class TypedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
    private final MethodDescriptor<Q, R> method;
    volatile boolean closed;

    TypedCall(ServerCall<Q, R> delegate, MethodDescriptor<Q, R> method) {
      super(delegate);
      this.method = method;
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }

    @Override
    public void close(Status status, Metadata trailers) {
      closed = true;
      super.close(status, trailers);
    }
  }
}
