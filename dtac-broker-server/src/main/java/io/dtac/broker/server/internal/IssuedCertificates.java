package io.dtac.broker.server.internal;

import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The plugin certificates the agent issued in this run, and which of them are still worth
 * anything. A certificate is issued for one launch ({@link TlsMaterial#issuePlugin}), names its
 * plugin once the launch's handshake has named it ({@link #register}), and is revoked when that
 * launch ends: stop, exit, restart or failure ({@link #revoke}). Certificates are known by their
 * fingerprint, the SHA-256 of their DER encoding ({@link X509#fingerprint}), so every check
 * is an exact pin of one certificate, not "signed by the CA".
 *
 * <p>Expiry plays no part in these checks: a plugin that runs longer than {@link
 * TlsMaterial#PLUGIN_CERTIFICATE_LIFETIME} keeps working, because the agent pins its certificate
 * and checks that its launch is live. Expiry only limits what a copy is worth to a party that
 * does check it. Revoked or never-registered certificates are forgotten once expired, so the
 * table holds the live launches plus at most a day's worth of ended ones.
 *
 * <p>Thread-safe; every method is non-blocking.
 */
public final class IssuedCertificates {
  private enum State { ISSUED, REGISTERED, REVOKED }

  private record Entry(State state, String plugin, Instant notAfter) {}

  private final Map<String, Entry> byFingerprint = new ConcurrentHashMap<>();
  private final Clock clock;

  IssuedCertificates(Clock clock) {
    this.clock = clock;
  }

  /** Records a certificate just issued for a launch: live, naming no plugin yet. */
  void issued(String fingerprint, Instant notAfter) {
    Instant now = clock.instant();
    byFingerprint.values().removeIf(e -> e.state() != State.REGISTERED && e.notAfter().isBefore(now));
    byFingerprint.put(fingerprint, new Entry(State.ISSUED, null, notAfter));
  }

  /**
   * Binds a live launch's certificate to the plugin name its handshake announced: from now on
   * {@link #pluginFor} answers that name for it.
   *
   * @throws IllegalStateException if this agent did not issue the certificate, or it is revoked
   */
  public void register(String fingerprint, String pluginName) {
    byFingerprint.compute(fingerprint, (fp, e) -> {
      if (e == null || e.state() == State.REVOKED) {
        throw new IllegalStateException(
            "cannot register TLS certificate sha256=" + fp + " for plugin " + pluginName + ": "
                + (e == null ? "this agent did not issue it" : "it was revoked"));
      }
      return new Entry(State.REGISTERED, pluginName, e.notAfter());
    });
  }

  /**
   * Revokes a certificate: its launch has ended, and it opens nothing from now on, neither new
   * connections from the agent nor calls to the broker (on connections old or new). Idempotent;
   * null and unknown fingerprints are ignored.
   */
  public void revoke(String fingerprint) {
    if (fingerprint != null) {
      byFingerprint.computeIfPresent(fingerprint, (fp, e) -> new Entry(State.REVOKED, e.plugin(), e.notAfter()));
    }
  }

  /** The plugin whose live launch holds this certificate, or null (unknown, not yet registered, or revoked). */
  public String pluginFor(String fingerprint) {
    Entry e = fingerprint == null ? null : byFingerprint.get(fingerprint);
    return e != null && e.state() == State.REGISTERED ? e.plugin() : null;
  }

  /**
   * The plugin whose live launch holds the client certificate of a TLS session (a call's {@code
   * Grpc.TRANSPORT_ATTR_SSL_SESSION}), or null: no session, no client certificate, or one that
   * is not a live launch's.
   */
  public String pluginFor(SSLSession session) {
    return pluginFor(peerFingerprint(session));
  }

  /** Whether a certificate belongs to a launch that has not ended (registered or not yet). */
  boolean isLive(String fingerprint) {
    Entry e = byFingerprint.get(fingerprint);
    return e != null && e.state() != State.REVOKED;
  }

  /** Whether this agent issued the certificate in this run (live or revoked, until forgotten). */
  boolean wasIssued(String fingerprint) {
    return byFingerprint.containsKey(fingerprint);
  }

  /** The fingerprint of the peer's own (leaf) certificate in a TLS session, or null. */
  public static String peerFingerprint(SSLSession session) {
    if (session == null) {
      return null;
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length == 0 ? null : X509.fingerprint(chain[0].getEncoded());
    } catch (SSLPeerUnverifiedException | CertificateEncodingException e) {
      return null;
    }
  }

  /**
   * The broker server's check of client certificates at the handshake: exactly a certificate
   * this agent issued in this run. Whether its launch is still live is checked per call ({@link
   * #pluginFor(SSLSession)}), so that a refused call is audited and a connection opened while
   * the launch was live is worth nothing after it ended.
   */
  X509ExtendedTrustManager brokerClientTrust() {
    return new PinnedTrustManager(
        this::wasIssued,
        "the TLS client certificate is not one this agent issued to a plugin launch");
  }

  /**
   * The agent's check of the server certificate of the plugin launch that holds {@code
   * fingerprint}: exactly that certificate, and only while the launch is live.
   */
  X509ExtendedTrustManager launchServerTrust(String fingerprint) {
    return new PinnedTrustManager(
        fp -> fp.equals(fingerprint) && isLive(fp),
        "the plugin's TLS server certificate is not the one the agent issued to this launch"
            + " (sha256=" + fingerprint + "), or the launch has ended");
  }
}
