package io.dtac.examples.agent;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The REST gateway's TLS identity: an EC P-256 key and a self-signed certificate for
 * {@code localhost}, {@code 127.0.0.1} and {@code ::1}, kept in {@code $DTAC_HOME/tls} and reused
 * while it is valid. BouncyCastle issues the certificate (the JDK has no public API for that);
 * the JDK's own providers do the cryptography, so no security provider is installed globally.
 * Immutable and thread-safe.
 */
final class SelfSignedCertificate {
  static final Duration VALIDITY = Duration.ofDays(365);
  /** A certificate closer than this to its end is replaced at start. */
  private static final Duration RENEW_BEFORE = Duration.ofDays(7);
  private static final char[] KEYSTORE_PASSWORD = "dtac".toCharArray();

  private final X509Certificate certificate;
  private final PrivateKey privateKey;
  private final boolean created;

  private SelfSignedCertificate(X509Certificate certificate, PrivateKey privateKey, boolean created) {
    this.certificate = certificate;
    this.privateKey = privateKey;
    this.created = created;
  }

  /**
   * The certificate of {@code home}: the stored one if it is there, matches its key and stays
   * valid for a week more; otherwise a new one, stored.
   *
   * @throws IOException if the files cannot be read or written, or the key is readable by others
   */
  static SelfSignedCertificate loadOrCreate(AgentHome home) throws IOException {
    return home.locked(
        () -> {
          if (Files.exists(home.certificate()) && Files.exists(home.privateKey())) {
            SelfSignedCertificate stored = read(home);
            if (stored.usableAt(Instant.now().plus(RENEW_BEFORE))) {
              return stored;
            }
          }
          SelfSignedCertificate fresh = generate(Instant.now());
          home.writeOwnerOnly(home.privateKey(), pem(new JcaPKCS8Generator(fresh.privateKey, null)));
          home.writePublic(home.certificate(), pem(fresh.certificate));
          return fresh;
        });
  }

  /** A new key pair and certificate valid from {@code now} for {@link #VALIDITY}. */
  static SelfSignedCertificate generate(Instant now) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair pair = generator.generateKeyPair();
      X500Name name = new X500Name("CN=localhost, O=dtac example agent");
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              name,
              new BigInteger(64, new SecureRandom()).add(BigInteger.ONE),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(VALIDITY)),
              name,
              pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      builder
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false,
              new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
          .addExtension(Extension.subjectKeyIdentifier, false,
              ext.createSubjectKeyIdentifier(pair.getPublic()))
          .addExtension(Extension.subjectAlternativeName, false,
              new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                new GeneralName(GeneralName.iPAddress, "::1"),
              }));
      X509CertificateHolder holder =
          builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate()));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(holder);
      return new SelfSignedCertificate(cert, pair.getPrivate(), true);
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot generate a self-signed certificate: " + e, e);
    }
  }

  private static SelfSignedCertificate read(AgentHome home) throws IOException {
    byte[] keyPem = home.readSecret(home.privateKey());
    try (PEMParser certs = new PEMParser(Files.newBufferedReader(home.certificate()));
        PEMParser keys = new PEMParser(new StringReader(new String(keyPem, StandardCharsets.US_ASCII)))) {
      Object cert = certs.readObject();
      Object key = keys.readObject();
      if (!(cert instanceof X509CertificateHolder) || !(key instanceof PrivateKeyInfo)) {
        throw new IOException(
            home.tlsDir() + " does not hold a PEM certificate and PKCS#8 key; delete it to make new ones");
      }
      return new SelfSignedCertificate(
          new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) cert),
          new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) key),
          false);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot read " + home.tlsDir() + ": " + e + "; delete it to make new ones", e);
    }
  }

  private boolean usableAt(Instant instant) {
    try {
      certificate.checkValidity(Date.from(instant));
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance("SHA256withECDSA");
      signer.initSign(privateKey);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance("SHA256withECDSA");
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static byte[] pem(Object object) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    }
    return out.toString().getBytes(StandardCharsets.US_ASCII);
  }

  X509Certificate certificate() {
    return certificate;
  }

  /** Whether this certificate was made by this call (rather than read from the home). */
  boolean created() {
    return created;
  }

  /** The SHA-256 fingerprint of the certificate, as openssl prints it (AB:CD:...). */
  String fingerprint() {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
      StringBuilder sb = new StringBuilder();
      for (byte b : digest) {
        if (sb.length() > 0) {
          sb.append(':');
        }
        sb.append(String.format("%02X", b));
      }
      return sb.toString();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A server-side TLS context presenting this certificate. */
  SSLContext serverContext() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("dtac", privateKey, KEYSTORE_PASSWORD, new X509Certificate[] {certificate});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(store, KEYSTORE_PASSWORD);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), null, null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a TLS context from the certificate: " + e, e);
    }
  }

  /** A client-side TLS context that trusts this certificate only. */
  static SSLContext trusting(X509Certificate certificate) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setCertificateEntry("dtac", certificate);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a TLS context trusting the certificate: " + e, e);
    }
  }
}
