package io.dtac.broker.server.internal;

import io.dtac.broker.api.peer.PeerAttestation;
import io.dtac.broker.api.peer.ProcessAncestry;
import io.dtac.core.Protocol;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * What identifies one launch of a plugin, from issue to revocation: where the kernel attests
 * callers, the process id (registered in {@link LaunchedProcesses}); otherwise a credential handed
 * over on stdin ({@link CredentialStore}); and with TLS, the certificate issued for the launch
 * ({@link IssuedCertificates}). A restart gets a new identity and the old one opens nothing.
 * Thread-safe.
 */
public final class LaunchIdentity {
  /** What a launch was given before its process started. */
  public record Issued(String credential, TlsMaterial.Identity tls) {}

  private final CredentialStore credentials;
  private final TlsMaterial tls;
  private final LaunchedProcesses processes;

  /**
   * @param tls the run's certificates, or null to talk to plugins in plaintext
   * @param processes where launched processes are registered when the kernel attests callers;
   *     null to identify callers by a credential handed over on each plugin's stdin instead
   */
  public LaunchIdentity(CredentialStore credentials, TlsMaterial tls, LaunchedProcesses processes) {
    this.credentials = credentials;
    this.tls = tls;
    this.processes = processes;
  }

  /** Whether plugins are given TLS material (and must serve TLS). */
  public boolean tls() {
    return tls != null;
  }

  /**
   * Issues what the next launch of plugin file {@code file} identifies itself with, adding to its
   * environment what the protocol says goes there: where the kernel names the caller, a plugin
   * gets no secret to identify itself by.
   */
  public Issued issue(Path file, Map<String, String> env) {
    String credential = processes == null ? credentials.issue() : null;
    if (credential != null) {
      env.put(Protocol.ENV_CREDENTIAL_ON_STDIN, "true");
    }
    TlsMaterial.Identity identity = tls == null ? null : tls.issuePlugin(PluginDiscovery.stem(file));
    if (identity != null) {
      env.put(Protocol.ENV_TLS_CERT, identity.certificatePem());
      env.put(Protocol.ENV_TLS_KEY, identity.privateKeyPem());
      env.put(Protocol.ENV_TLS_CA, tls.agentCertificatePem());
    }
    return new Issued(credential, identity);
  }

  /** Makes the launched process the plugin's: its process id (or credential, or certificate) now identifies the plugin. */
  public void adopt(LoadedPlugin plugin, PluginProcess process, Issued issued) {
    if (processes != null) {
      processes.register(process.pid(), plugin.name());
    }
    if (issued.credential() != null) {
      plugin.credential(issued.credential());
      credentials.bind(issued.credential(), plugin.name());
    }
    if (issued.tls() != null) {
      plugin.tlsCertificate(issued.tls().fingerprint());
      tls.issued().register(issued.tls().fingerprint(), plugin.name());
    }
  }

  /**
   * The plugin's current process identifies it no more: its process id, credential and TLS
   * certificate are forgotten.
   */
  public void revoke(LoadedPlugin plugin) {
    credentials.revoke(plugin.credential());
    if (tls != null) {
      tls.issued().revoke(plugin.tlsCertificate());
    }
    PluginProcess process = plugin.process();
    if (process != null) {
      forget(process);
    }
  }

  /** {@code process} identifies no plugin from now on. */
  public void forget(PluginProcess process) {
    if (processes != null) {
      processes.forget(process.pid());
    }
  }

  /**
   * What the agent dials the plugin with: where the kernel attests peers, a connection whose
   * server is not the launched process (or a child of it) fails before Register is sent, so a
   * socket put in its place by another process receives nothing.
   */
  public ChannelCredentials dialCredentials(PluginProcess process, LoadedPlugin plugin) {
    ChannelCredentials base =
        tls == null ? InsecureChannelCredentials.create() : tls.channelCredentials(plugin.tlsCertificate());
    if (processes == null) {
      return base;
    }
    long pid = process.pid();
    return PeerAttestation.client(
        base,
        () -> selfAndDescendants(pid),
        peer -> peer.known() && ProcessAncestry.isSelfOrDescendant(peer.pid(), pid)
            ? null
            : "the plugin's address is served by " + peer + ", not by the plugin process " + pid
                + " the agent launched; refusing to talk to it");
  }

  private static Collection<Long> selfAndDescendants(long pid) {
    List<Long> pids = new ArrayList<>();
    pids.add(pid);
    ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
    return pids;
  }
}
