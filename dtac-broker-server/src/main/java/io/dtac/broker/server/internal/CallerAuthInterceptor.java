package io.dtac.broker.server.internal;

import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.peer.Peer;
import io.dtac.broker.api.peer.PeerAttestation;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.time.Instant;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Establishes who calls the broker, and puts the plugin's name into the call's {@link Context}
 * ({@link CallerIdentity#current()}). Anything else is UNAUTHENTICATED: a process the agent did
 * not launch cannot use the broker, and a plugin cannot act as another.
 *
 * <p>Where the kernel attests peers (Linux: Unix sockets and loopback TCP, see {@code
 * io.dtac.broker.api.peer}), the caller is the launched plugin process that opened the connection
 * (or the plugin whose child did), found by process id; nothing the caller sends counts, and a
 * {@code dtac-broker-credential} header is ignored. Elsewhere the header must hold the credential
 * the agent handed the plugin on its stdin at launch.
 *
 * <p>Over TLS, a credential pinned to the certificate issued with it ({@link
 * CredentialStore#pinCertificate}) is accepted only on a connection whose client certificate is
 * that one. Refused {@code CallPlugin} attempts are audited (caller "unauthenticated").
 */
public final class CallerAuthInterceptor implements ServerInterceptor {
  public static final Metadata.Key<String> CREDENTIAL_HEADER =
      Metadata.Key.of("dtac-broker-credential", Metadata.ASCII_STRING_MARSHALLER);

  private final LaunchedProcesses processes;
  private final CredentialStore credentials;
  private final AuditLog audit;

  public CallerAuthInterceptor(CredentialStore credentials) {
    this(null, credentials, null);
  }

  /** @param audit where refused CallPlugin attempts are recorded; null: nowhere */
  public CallerAuthInterceptor(CredentialStore credentials, AuditLog audit) {
    this(null, credentials, audit);
  }

  /**
   * @param processes the launched plugin processes, when the broker's servers attest peers; null
   *     to identify callers by credential only
   * @param audit where refused CallPlugin attempts are recorded; null: nowhere
   */
  public CallerAuthInterceptor(LaunchedProcesses processes, CredentialStore credentials, AuditLog audit) {
    this.processes = processes;
    this.credentials = credentials;
    this.audit = audit;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Peer peer = PeerAttestation.peer(call);
    if (processes != null) {
      return byProcess(peer, call, headers, next);
    }
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
    String pinned = credentials.pinnedCertificate(presented);
    if (pinned != null && !pinned.equals(peerCertificate(call))) {
      return refuse(call,
          "broker credential presented over a connection that is not authenticated with the TLS"
              + " certificate issued with it: a plugin may present only its own credential");
    }
    return Contexts.interceptCall(
        CallerIdentity.withCaller(Context.current(), caller), call, headers, next);
  }

  private <Q, R> ServerCall.Listener<Q> byProcess(
      Peer peer, ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (peer == null || !peer.known()) {
      return refuse(call,
          "the calling process is not a plugin this agent launched, nor a child process of one ("
              + (peer == null ? "this connection is not attested" : peer.problem())
              + "): only plugins launched by this agent may call the broker");
    }
    String caller = processes.pluginFor(peer.pid());
    if (caller == null) {
      return refuse(call,
          "process " + peer.pid() + " (uid " + peer.uid() + ") is not a plugin this agent launched,"
              + " nor a child process of one: only plugins launched by this agent may call the broker");
    }
    return Contexts.interceptCall(
        CallerIdentity.withCaller(Context.current(), caller), call, headers, next);
  }

  private <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String why) {
    // The record first: a caller that has its answer finds the refusal already audited.
    if (audit != null
        && AgentServiceGrpc.getCallPluginMethod().getFullMethodName()
            .equals(call.getMethodDescriptor().getFullMethodName())) {
      audit.record(
          new AuditRecord(
              Instant.now().toString(), audit.nextCallId(), "unauthenticated", "", "", "", "deny",
              "authentication", Status.Code.UNAUTHENTICATED.name(), 0, 0, 0));
    }
    call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
    return new ServerCall.Listener<>() {};
  }


  /** SHA-256 of the TLS client certificate of the call's connection, or null. */
  private static String peerCertificate(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length == 0 ? null : TlsMaterial.fingerprint(chain[0].getEncoded());
    } catch (SSLPeerUnverifiedException | CertificateEncodingException e) {
      return null;
    }
  }
}
