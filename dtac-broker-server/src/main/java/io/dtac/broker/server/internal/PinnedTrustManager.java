package io.dtac.broker.server.internal;

import java.net.Socket;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.Predicate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a peer by the exact certificate it presents: the SHA-256 fingerprint of its leaf
 * certificate must pass {@code accepts}. No chain is built and no validity period is checked:
 * the agent issued every certificate it pins and knows which launch holds it. Because it is an
 * {@link X509ExtendedTrustManager}, the TLS stack adds no host name check of its own, which a
 * pinned certificate does not need. Thread-safe if {@code accepts} is.
 */
final class PinnedTrustManager extends X509ExtendedTrustManager {
  private static final X509Certificate[] NONE = new X509Certificate[0];

  private final Predicate<String> accepts;
  private final String refusal;

  /** @param refusal what a refused handshake says (with the fingerprint after it) */
  PinnedTrustManager(Predicate<String> accepts, String refusal) {
    this.accepts = accepts;
    this.refusal = refusal;
  }

  private void check(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException(refusal + ": no certificate presented");
    }
    String fingerprint;
    try {
      fingerprint = X509.fingerprint(chain[0].getEncoded());
    } catch (CertificateEncodingException e) {
      throw new CertificateException(refusal + ": " + e.getMessage(), e);
    }
    if (!accepts.test(fingerprint)) {
      throw new CertificateException(refusal + " (presented sha256=" + fingerprint + ")");
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain);
  }

  /** None: a certificate request names no authority, so a client sends the one certificate it has. */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return NONE;
  }
}
