package io.dtac.broker.server.internal;

import io.dtac.broker.api.AgentServiceGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.time.Instant;
import javax.net.ssl.SSLSession;

/**
 * Establishes who calls the broker: the {@code dtac-broker-credential} header must hold a
 * credential the agent issued to a running plugin; the plugin's name goes into the call's
 * {@link Context} ({@link CallerIdentity#current()}). Anything else is UNAUTHENTICATED: a process
 * the agent did not launch cannot use the broker, and a plugin cannot act as another.
 *
 * <p>Over TLS ({@code certificates} given), the connection's client certificate must also be the
 * one issued to a live launch of that same plugin ({@link IssuedCertificates#pluginFor(SSLSession)}):
 * a credential that leaked to another plugin is useless to it, and so is the certificate of a
 * process that has stopped, even on a connection it opened while it ran. Refused {@code
 * CallPlugin} attempts are audited (caller "unauthenticated").
 */
public final class CallerAuthInterceptor implements ServerInterceptor {
  public static final Metadata.Key<String> CREDENTIAL_HEADER =
      Metadata.Key.of("dtac-broker-credential", Metadata.ASCII_STRING_MARSHALLER);

  private final CredentialStore credentials;
  private final IssuedCertificates certificates;
  private final AuditLog audit;

  public CallerAuthInterceptor(CredentialStore credentials) {
    this(credentials, null);
  }

  /** @param audit where refused CallPlugin attempts are recorded; null: nowhere */
  public CallerAuthInterceptor(CredentialStore credentials, AuditLog audit) {
    this(credentials, null, audit);
  }

  /**
   * @param certificates the run's plugin certificates when the broker serves TLS (every call
   *     must then come over a connection with a live launch's client certificate); null: plaintext
   * @param audit where refused CallPlugin attempts are recorded; null: nowhere
   */
  public CallerAuthInterceptor(
      CredentialStore credentials, IssuedCertificates certificates, AuditLog audit) {
    this.credentials = credentials;
    this.certificates = certificates;
    this.audit = audit;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String presented = headers.get(CREDENTIAL_HEADER);
    if (presented == null) {
      return refuse(call,
          "no broker credential: only plugins launched by this agent may call the broker"
              + " (header dtac-broker-credential is missing)");
    }
    String caller = credentials.lookup(presented);
    if (caller == null) {
      return refuse(call,
          "invalid broker credential: it was not issued by this agent, or its plugin stopped");
    }
    if (certificates != null) {
      String holder = certificates.pluginFor(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
      if (holder == null) {
        return refuse(call,
            "the connection's TLS client certificate is not one issued to a running plugin:"
                + " certificates of stopped or restarted plugin processes are revoked");
      }
      if (!holder.equals(caller)) {
        return refuse(call,
            "broker credential presented over a connection that is not authenticated with the TLS"
                + " certificate issued with it: a plugin may present only its own credential");
      }
    }
    return Contexts.interceptCall(
        CallerIdentity.withCaller(Context.current(), caller), call, headers, next);
  }

  private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String why) {
    long started = System.nanoTime();
    call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
    if (audit != null
        && AgentServiceGrpc.getCallPluginMethod().getFullMethodName()
            .equals(call.getMethodDescriptor().getFullMethodName())) {
      audit.record(
          new AuditRecord(
              Instant.now().toString(), audit.nextCallId(), "unauthenticated", "", "", "", "deny",
              "credential", Status.Code.UNAUTHENTICATED.name(),
              (System.nanoTime() - started) / 1_000, 0, 0));
    }
    return new ServerCall.Listener<>() {};
  }
}
