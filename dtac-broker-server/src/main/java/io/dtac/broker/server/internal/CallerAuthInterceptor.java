package io.dtac.broker.server.internal;

import io.dtac.core.internal.Headers;
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
import java.time.Instant;

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
 * <p>Over TLS, the connection's client certificate must also be the one issued to that same
 * plugin's live launch ({@link IssuedCertificates}): a certificate of a stopped process, or of
 * another plugin, is refused. Refused {@code CallPlugin} attempts are audited (caller
 * "unauthenticated", rule "authentication") before the caller gets its answer.
 */
public final class CallerAuthInterceptor implements ServerInterceptor {
  private final LaunchedProcesses processes;
  private final CredentialStore credentials;
  private final IssuedCertificates certificates;
  private final AuditLog audit;

  public CallerAuthInterceptor(CredentialStore credentials) {
    this(null, credentials, null, null);
  }

  /** @param audit where refused CallPlugin attempts are recorded; null: nowhere */
  public CallerAuthInterceptor(CredentialStore credentials, AuditLog audit) {
    this(null, credentials, null, audit);
  }

  /**
   * @param processes the launched plugin processes, when the broker's servers attest peers; null
   *     to identify callers by credential
   * @param certificates the run's plugin certificates when the broker serves TLS; null: plaintext
   * @param audit where refused CallPlugin attempts are recorded; null: nowhere
   */
  public CallerAuthInterceptor(
      LaunchedProcesses processes, CredentialStore credentials, IssuedCertificates certificates, AuditLog audit) {
    this.processes = processes;
    this.credentials = credentials;
    this.certificates = certificates;
    this.audit = audit;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String caller;
    if (processes != null) {
      Peer peer = PeerAttestation.peer(call);
      if (peer == null || !peer.known()) {
        return refuse(call,
            "the calling process is not a plugin this agent launched, nor a child process of one ("
                + (peer == null ? "this connection is not attested" : peer.problem())
                + "): only plugins launched by this agent may call the broker");
      }
      caller = processes.pluginFor(peer.pid());
      if (caller == null) {
        return refuse(call,
            "process " + peer.pid() + " (uid " + peer.uid() + ") is not a plugin this agent launched,"
                + " nor a child process of one: only plugins launched by this agent may call the broker");
      }
    } else {
      String presented = headers.get(Headers.CREDENTIAL);
      if (presented == null) {
        return refuse(call,
            "no broker credential: only plugins launched by this agent may call the broker"
                + " (header dtac-broker-credential is missing)");
      }
      caller = credentials.lookup(presented);
      if (caller == null) {
        return refuse(call,
            "invalid broker credential: it was not issued by this agent, or its plugin stopped");
      }
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
            processes != null
                ? "the connection's TLS client certificate was issued to plugin '" + holder
                    + "', not to the calling process's plugin: a plugin may present only its own certificate"
                : "broker credential presented over a connection that is not authenticated with the TLS"
                    + " certificate issued with it: a plugin may present only its own credential");
      }
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
}
