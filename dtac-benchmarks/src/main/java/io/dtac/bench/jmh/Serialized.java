package io.dtac.bench.jmh;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.Marshaller;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Makes in-process gRPC serialize every message, as a socket does. In process, grpc-java hands a
 * protobuf message from a typed client to a typed server without serializing it, so there a
 * forwarder that parses and re-serializes its messages pays nothing for it, while the broker, which
 * forwards bytes (see {@code ByteForwarding}), pays the serialization that every real transport makes
 * everyone pay. With these wrappers each typed end serializes what it sends and parses what it
 * receives, so the two forwarders are compared as between real processes, without the sockets'
 * scheduling noise.
 */
final class Serialized {
  private Serialized() {}

  private static final ClientInterceptor SERIALIZING = new ClientInterceptor() {
    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      return next.newCall(serializing(method), options);
    }
  };

  /** {@code channel}, whose typed calls serialize their requests into bytes. */
  static Channel channel(Channel channel) {
    return ClientInterceptors.intercept(channel, SERIALIZING);
  }

  /** {@code service}, whose typed methods serialize their responses into bytes. */
  static ServerServiceDefinition server(ServerServiceDefinition service) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      add(b, m);
    }
    return b.build();
  }

  private static <Q, R> void add(ServerServiceDefinition.Builder b, ServerMethodDefinition<Q, R> m) {
    b.addMethod(serializing(m.getMethodDescriptor()), m.getServerCallHandler());
  }

  private static <Q, R> MethodDescriptor<Q, R> serializing(MethodDescriptor<Q, R> method) {
    return method.toBuilder(serializing(method.getRequestMarshaller()), serializing(method.getResponseMarshaller()))
        .build();
  }

  private static <T> Marshaller<T> serializing(Marshaller<T> m) {
    return new Marshaller<T>() {
      @Override
      public InputStream stream(T value) {
        try (InputStream in = m.stream(value)) {
          // A protobuf message's stream knows its size (grpc's KnownLength), as a transport uses it.
          byte[] bytes = in.readNBytes(in.available());
          if (in.read() != -1) {
            throw new IOException("the message's stream is longer than it said");
          }
          return new ByteArrayInputStream(bytes);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }

      @Override
      public T parse(InputStream in) {
        return m.parse(in);
      }
    };
  }
}
