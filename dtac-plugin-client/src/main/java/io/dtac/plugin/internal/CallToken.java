package io.dtac.plugin.internal;

import io.dtac.core.Protocol;
import io.dtac.core.internal.Headers;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.ForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;

/**
 * Carries the broker's call token from an endpoint call to the calls the endpoint makes through
 * the broker, so the broker can tell that they belong to the same call chain (and refuse cycles).
 * The plugin host puts the token of the call being served into the gRPC {@link Context} for the
 * duration of the endpoint; {@link #interceptor()} sends it as a header on broker calls made in
 * that context. Code that hands work to other threads keeps the token by propagating the
 * context, e.g. with {@code Context.currentContextExecutor(executor)}.
 */
public final class CallToken {
  private static final Context.Key<String> TOKEN = Context.key(Protocol.CALL_TOKEN);

  private CallToken() {}

  /** {@code context} carrying {@code token}; {@code context} itself when the token is null or empty. */
  public static Context with(Context context, String token) {
    return token == null || token.isEmpty() ? context : context.withValue(TOKEN, token);
  }

  /** The token of the endpoint call the current thread serves, or null. */
  public static String current() {
    return TOKEN.get();
  }

  /** Adds the current token, if any, to outgoing calls. */
  public static ClientInterceptor interceptor() {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        String token = current();
        ClientCall<Q, R> call = next.newCall(method, options);
        if (token == null) {
          return call;
        }
        return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            headers.put(Headers.CALL_TOKEN, token);
            super.start(listener, headers);
          }
        };
      }
    };
  }
}
