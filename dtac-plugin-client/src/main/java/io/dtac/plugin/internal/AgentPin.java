package io.dtac.plugin.internal;

import io.dtac.core.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts exactly the agent's certificate (the one in {@code DTAC_TLS_CA}): a peer whose own
 * certificate is not byte for byte that one is refused at the handshake, even if the same CA
 * issued it, as it issues every sibling plugin's. No chain is built, so no other certificate
 * can stand in for it; as an {@link X509ExtendedTrustManager} it also spares the TLS stack a host
 * name check that a pinned certificate does not need. Thread-safe.
 */
final class AgentPin extends X509ExtendedTrustManager {
  private static final X509Certificate[] NONE = new X509Certificate[0];

  private final List<X509Certificate> pinned;

  private AgentPin(List<X509Certificate> pinned) {
    this.pinned = List.copyOf(pinned);
  }

  /**
   * The certificates in {@code pem} (usually one, the agent's).
   *
   * @throws IOException if it holds none, or something that is not a certificate
   */
  static AgentPin read(InputStream pem) throws IOException {
    List<X509Certificate> certs = new ArrayList<>();
    try (pem) {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(pem)) {
        certs.add((X509Certificate) c);
      }
    } catch (CertificateException e) {
      throw new IOException(Protocol.ENV_TLS_CA + " holds no readable PEM certificate: " + e.getMessage(), e);
    }
    if (certs.isEmpty()) {
      throw new IOException(Protocol.ENV_TLS_CA + " holds no PEM certificate");
    }
    for (X509Certificate c : certs) {
      // An agent older than this SDK put its CA there; pinning that would refuse the agent.
      if (c.getBasicConstraints() >= 0) {
        throw new IOException(
            Protocol.ENV_TLS_CA + " holds a CA certificate (" + c.getSubjectX500Principal().getName()
                + "), but this plugin SDK expects the agent's own certificate there and pins it:"
                + " the agent is older than the SDK; run both from the same dtac-broker version");
      }
    }
    return new AgentPin(certs);
  }

  private void check(X509Certificate[] chain, String peer) throws CertificateException {
    if (chain == null || chain.length == 0 || !pinned.contains(chain[0])) {
      throw new CertificateException(
          peer + " is not the agent: its TLS certificate ("
              + (chain == null || chain.length == 0 ? "none" : chain[0].getSubjectX500Principal().getName())
              + ") is not the agent's certificate given in " + Protocol.ENV_TLS_CA);
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, "the client");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, "the broker");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, "the client");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, "the broker");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, "the client");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, "the broker");
  }

  /**
   * None: the server's certificate request then names no authority, and the agent sends the one
   * client certificate it has (naming the agent's certificate would match no issuer in its chain).
   */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return NONE;
  }
}
