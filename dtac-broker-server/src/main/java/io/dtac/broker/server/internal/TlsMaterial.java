package io.dtac.broker.server.internal;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/**
 * The TLS identities of one broker run: a certificate authority (generated for the run, or the
 * one the user supplied), the agent's own certificate (subject {@code CN=dtac-agent, OU=agent}:
 * the broker's server certificate, and its client certificate when it dials plugins), and one
 * certificate per plugin launch (subject {@code CN=<file stem>, OU=plugin}, valid for {@link
 * #PLUGIN_CERTIFICATE_LIFETIME}: the plugin's server certificate, and its client certificate when
 * it calls the broker). Every certificate names 127.0.0.1, ::1 and localhost, and is good for
 * both server and client authentication.
 *
 * <p>Plugins pin the agent's certificate (they get it, and not the CA, in {@code DTAC_TLS_CA});
 * the agent pins each launch's certificate ({@link IssuedCertificates}): no party trusts "any
 * certificate of the CA", so one plugin's certificate opens nothing but the broker, and only
 * while its launch runs.
 *
 * <p>Keys are EC P-256 and live only in memory and in the environment of the plugin each belongs
 * to; nothing is written to disk. Thread-safe.
 */
public final class TlsMaterial {
  /**
   * How long a plugin certificate is valid. The agent's own checks ignore it (they pin the
   * certificate of a live launch, so a plugin may run longer); it limits what a copy is worth to
   * anyone who checks validity.
   */
  public static final Duration PLUGIN_CERTIFICATE_LIFETIME = Duration.ofHours(24);

  private static final Duration GENERATED_CA_VALIDITY = Duration.ofDays(3650);
  /** Tolerates a clock step between issue and check; every party reads this host's clock. */
  private static final Duration BACKDATE = Duration.ofMinutes(5);
  private static final String AGENT_ROLE = "agent";
  private static final String PLUGIN_ROLE = "plugin";

  /** A certificate and its private key, PEM; {@link #toString()} never shows the key. */
  public record Identity(String certificatePem, String privateKeyPem, String fingerprint) {
    @Override
    public String toString() {
      return "Identity[sha256=" + fingerprint + "]";
    }
  }

  private final X509Certificate caCert;
  private final PrivateKey caKey;
  private final String caPem;
  private final List<String> hosts;
  private final Clock clock;
  private final IssuedCertificates issued;
  private final Identity agent;
  private final String agentCertificatePem;
  private final ServerCredentials serverCredentials;

  private TlsMaterial(X509Certificate caCert, PrivateKey caKey, Collection<String> extraHosts, Clock clock) {
    this.caCert = caCert;
    this.caKey = caKey;
    this.caPem = X509.pem("CERTIFICATE", X509.encoded(caCert));
    Set<String> h = new LinkedHashSet<>(List.of("127.0.0.1", "::1", "localhost"));
    h.addAll(extraHosts);
    this.hosts = List.copyOf(h);
    this.clock = clock;
    this.issued = new IssuedCertificates(clock);
    Leaf agentLeaf = leaf("dtac-agent", AGENT_ROLE, caCert.getNotAfter().toInstant());
    this.agent = identity(agentLeaf);
    this.agentCertificatePem = X509.pem("CERTIFICATE", X509.encoded(agentLeaf.cert()));
    try {
      this.serverCredentials =
          TlsServerCredentials.newBuilder()
              .keyManager(X509.stream(agent.certificatePem()), X509.stream(agent.privateKeyPem()))
              .trustManager(issued.brokerClientTrust())
              .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
              .build();
    } catch (IOException e) {
      throw new IllegalStateException("cannot load the run's certificates into TLS credentials: " + e, e);
    }
  }

  /**
   * A new certificate authority for this run.
   *
   * @param extraHosts names or addresses the broker is reached at besides loopback
   */
  public static TlsMaterial generate(Collection<String> extraHosts) {
    return generate(extraHosts, Clock.systemUTC());
  }

  /**
   * A new certificate authority for this run whose certificates are dated by {@code clock} (so
   * that tests can issue certificates that have already expired).
   */
  public static TlsMaterial generate(Collection<String> extraHosts, Clock clock) {
    KeyPair ca = X509.newKeyPair();
    Instant now = clock.instant();
    X500Name name = X509.cn("dtac-broker run CA " + HexFormat.of().formatHex(X509.randomBytes(4)));
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  name, X509.serial(), Date.from(now.minus(BACKDATE)),
                  Date.from(now.plus(GENERATED_CA_VALIDITY)), name, ca.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(ca.getPublic()));
      return new TlsMaterial(X509.sign(b, ca.getPrivate()), ca.getPrivate(), extraHosts, clock);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot create the run's certificate authority: " + e, e);
    }
  }

  /**
   * Uses a certificate authority the user supplies: its certificate and private key, PEM (PKCS#8,
   * PKCS#1 or SEC1 keys).
   *
   * @throws IllegalArgumentException naming the file and the problem
   */
  public static TlsMaterial fromAuthority(Path certificate, Path privateKey, Collection<String> extraHosts) {
    X509Certificate cert = X509.readCertificate(certificate);
    PrivateKey key = X509.readPrivateKey(privateKey);
    if (cert.getBasicConstraints() < 0) {
      throw new IllegalArgumentException(
          "TLS authority certificate " + certificate + " is not a CA certificate (basicConstraints"
              + " CA:true is missing); supply the certificate of the CA that is to issue the"
              + " broker's and plugins' certificates");
    }
    try {
      cert.checkValidity();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "TLS authority certificate " + certificate + " is not valid now: " + e.getMessage(), e);
    }
    if (!X509.matches(key, cert.getPublicKey())) {
      throw new IllegalArgumentException(
          "TLS authority key " + privateKey + " does not belong to the certificate " + certificate);
    }
    return new TlsMaterial(cert, key, extraHosts, Clock.systemUTC());
  }

  /** The CA certificate, PEM: it issued every certificate of the run. */
  public String caPem() {
    return caPem;
  }

  /** The agent's certificate and key. */
  public Identity agent() {
    return agent;
  }

  /**
   * The agent's certificate alone (PEM, no chain): what plugins get in {@code DTAC_TLS_CA} and
   * pin, as the only client their server accepts and the only broker they talk to.
   */
  public String agentCertificatePem() {
    return agentCertificatePem;
  }

  /** The plugin certificates issued in this run, and which launches hold them. */
  public IssuedCertificates issued() {
    return issued;
  }

  /**
   * TLS for the broker's server: the agent's certificate; a client certificate is required, and
   * must be exactly one this agent issued to a plugin launch ({@link IssuedCertificates}).
   */
  public ServerCredentials serverCredentials() {
    return serverCredentials;
  }

  /**
   * TLS for dialling the plugin launch that holds the certificate {@code pluginFingerprint}:
   * presents the agent's certificate and trusts exactly that plugin certificate, while its
   * launch is live, and nothing else (not a sibling's, though the same CA issued both).
   */
  public ChannelCredentials channelCredentials(String pluginFingerprint) {
    try {
      return TlsChannelCredentials.newBuilder()
          .keyManager(X509.stream(agent.certificatePem()), X509.stream(agent.privateKeyPem()))
          .trustManager(issued.launchServerTrust(pluginFingerprint))
          .build();
    } catch (IOException e) {
      throw new IllegalStateException("cannot load the agent's certificate into TLS credentials: " + e, e);
    }
  }

  /**
   * A new certificate and key for one plugin launch: subject {@code CN=<fileStem>, OU=plugin},
   * valid for {@link #PLUGIN_CERTIFICATE_LIFETIME} (or until the CA expires, if sooner), recorded
   * in {@link #issued()} as live until revoked.
   */
  public Identity issuePlugin(String fileStem) {
    Instant notAfter = clock.instant().plus(PLUGIN_CERTIFICATE_LIFETIME);
    Instant caNotAfter = caCert.getNotAfter().toInstant();
    Leaf leaf = leaf(fileStem, PLUGIN_ROLE, notAfter.isBefore(caNotAfter) ? notAfter : caNotAfter);
    Identity identity = identity(leaf);
    issued.issued(identity.fingerprint(), leaf.cert().getNotAfter().toInstant());
    return identity;
  }

  /** A certificate with its key. */
  private record Leaf(X509Certificate cert, PrivateKey key) {}

  /** The PEM identity of a leaf: its certificate with the CA's after it, its key, its fingerprint. */
  private Identity identity(Leaf leaf) {
    byte[] der = X509.encoded(leaf.cert());
    return new Identity(
        X509.pem("CERTIFICATE", der) + caPem, X509.pem("PRIVATE KEY", leaf.key().getEncoded()), X509.fingerprint(der));
  }

  private Leaf leaf(String commonName, String role, Instant notAfter) {
    KeyPair kp = X509.newKeyPair();
    Instant now = clock.instant();
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      List<GeneralName> names = new ArrayList<>();
      for (String h : hosts) {
        names.add(X509.isAddress(h) ? new GeneralName(GeneralName.iPAddress, h) : new GeneralName(GeneralName.dNSName, h));
      }
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
                  caCert, X509.serial(), Date.from(now.minus(BACKDATE)), Date.from(notAfter),
                  X509.subject(commonName, role), kp.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
              .addExtension(
                  Extension.extendedKeyUsage, false,
                  new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
              .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])))
              .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()))
              .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(caCert));
      return new Leaf(X509.sign(b, caKey), kp.getPrivate());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot issue a certificate for " + commonName + ": " + e, e);
    }
  }

  /** Hosts to name in certificates for a bind address: the address itself and, if it is a name, what it resolves to. */
  public static List<String> hostsFor(String bindHost) {
    List<String> out = new ArrayList<>();
    out.add(bindHost);
    if (!X509.isAddress(bindHost)) {
      try {
        for (InetAddress a : InetAddress.getAllByName(bindHost)) {
          out.add(a.getHostAddress());
        }
      } catch (IOException e) {
        // unresolvable here: the name alone goes into the certificate
      }
    }
    return out;
  }
}
