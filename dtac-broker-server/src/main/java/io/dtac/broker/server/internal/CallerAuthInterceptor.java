package io.dtac.broker.server.internal;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Establishes who calls the broker: the {@code dtac-broker-credential} header must hold a
 * credential the agent issued to a running plugin; the plugin's name goes into the call's
 * {@link Context} ({@link CallerIdentity#current()}). Anything else is UNAUTHENTICATED: a process
 * the agent did not launch cannot use the broker, and a plugin cannot act as another.
 */
public final class CallerAuthInterceptor implements ServerInterceptor {
  public static final Metadata.Key<String> CREDENTIAL_HEADER =
      Metadata.Key.of("dtac-broker-credential", Metadata.ASCII_STRING_MARSHALLER);

  private final CredentialStore credentials;

  public CallerAuthInterceptor(CredentialStore credentials) {
    this.credentials = credentials;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String presented = headers.get(CREDENTIAL_HEADER);
    if (presented == null) {
      call.close(
          Status.UNAUTHENTICATED.withDescription(
              "no broker credential: only plugins launched by this agent may call the broker"
                  + " (header dtac-broker-credential is missing)"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    String caller = credentials.lookup(presented);
    if (caller == null) {
      call.close(
          Status.UNAUTHENTICATED.withDescription(
              "invalid broker credential: it was not issued by this agent, or its plugin stopped"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(
        CallerIdentity.withCaller(Context.current(), caller), call, headers, next);
  }
}
