package io.dtac.broker.server.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
/**
 * Making, signing, reading and encoding X.509 certificates and keys, with BouncyCastle: the
 * primitives {@link TlsMaterial} builds the run's identities from. Stateless; thread-safe.
 */
final class X509 {
  private static final SecureRandom RANDOM = new SecureRandom();

  private X509() {}

  /** SHA-256 of a certificate's DER encoding, lower-case hex: how credentials pin certificates. */
  public static String fingerprint(byte[] der) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer)
      throws GeneralSecurityException {
    String alg = signatureAlgorithm(signer);
    try {
      X509CertificateHolder holder = b.build(new JcaContentSignerBuilder(alg).build(signer));
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  /** The signature algorithm for a key: SHA-256 with ECDSA or RSA, or Ed25519. */
  static String signatureAlgorithm(PrivateKey key) throws GeneralSecurityException {
    switch (key.getAlgorithm()) {
      case "EC":
        return "SHA256withECDSA";
      case "RSA":
        return "SHA256withRSA";
      case "Ed25519":
      case "EdDSA":
        return "Ed25519";
      default:
        throw new GeneralSecurityException(
            "unsupported CA key algorithm " + key.getAlgorithm() + "; use an EC, RSA or Ed25519 key");
    }
  }

  static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK cannot generate EC P-256 keys", e);
    }
  }

  static boolean matches(PrivateKey key, PublicKey pub) {
    String alg;
    try {
      alg = signatureAlgorithm(key);
    } catch (GeneralSecurityException e) {
      return false;
    }
    try {
      byte[] probe = randomBytes(32);
      java.security.Signature s = java.security.Signature.getInstance(alg);
      s.initSign(key);
      s.update(probe);
      byte[] sig = s.sign();
      s.initVerify(pub);
      s.update(probe);
      return s.verify(sig);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  static X509Certificate readCertificate(Path file) {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser p = new PEMParser(r)) {
      Object o = p.readObject();
      if (!(o instanceof X509CertificateHolder)) {
        throw new IllegalArgumentException(
            "TLS authority certificate " + file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
      }
      return new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) o);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read TLS authority certificate " + file + ": " + e.getMessage(), e);
    }
  }

  static PrivateKey readPrivateKey(Path file) {
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
        PEMParser p = new PEMParser(r)) {
      Object o = p.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair) {
        return converter.getKeyPair((PEMKeyPair) o).getPrivate();
      }
      if (o instanceof PrivateKeyInfo) {
        return converter.getPrivateKey((PrivateKeyInfo) o);
      }
      throw new IllegalArgumentException(
          "TLS authority key " + file + " holds no unencrypted PEM private key"
              + " (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read TLS authority key " + file + ": " + e.getMessage(), e);
    }
  }

  static boolean isAddress(String host) {
    if (host.contains(":")) {
      return true;
    }
    return host.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  }

  static X500Name cn(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
  }

  /** {@code CN=<name>, OU=<role>, O=dtac-broker}: whom a certificate is for, and in which role. */
  static X500Name subject(String commonName, String role) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.CN, commonName)
        .addRDN(BCStyle.OU, role)
        .addRDN(BCStyle.O, "dtac-broker")
        .build();
  }

  static BigInteger serial() {
    return new BigInteger(1, randomBytes(16));
  }

  static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  static byte[] encoded(X509Certificate cert) {
    try {
      return cert.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot encode a certificate", e);
    }
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  static InputStream stream(String pem) {
    return new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII));
  }
}
