package io.dtac.broker.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.ListPluginsRequest;
import io.dtac.broker.server.internal.TlsMaterial;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The broker's TLS over real loopback connections: who gets through the handshake. */
class BrokerTlsTest {
  @TempDir Path dir;

  private static InputStream pem(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.US_ASCII));
  }

  /** ListPlugins from a client with {@code credentials}; returns the status it ends with. */
  private static Status.Code listWith(PluginBroker broker, ChannelCredentials credentials) throws Exception {
    ManagedChannel channel = Grpc.newChannelBuilder(broker.brokerAddress(), credentials).build();
    try {
      AgentServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .listPlugins(ListPluginsRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static ChannelCredentials tls(String trustedCaPem, TlsMaterial.Identity client) throws Exception {
    TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder().trustManager(pem(trustedCaPem));
    if (client != null) {
      b.keyManager(pem(client.certificatePem()), pem(client.privateKeyPem()));
    }
    return b.build();
  }

  @Test
  void withTlsOnAPlaintextConnectionFails() throws Exception {
    try (PluginBroker broker = PluginBroker.builder().tls(true).build().start()) {
      assertTrue(broker.tlsAuthorityCertificate().isPresent());
      assertEquals(Status.Code.UNAVAILABLE, listWith(broker, InsecureChannelCredentials.create()));
    }
  }

  @Test
  void clientWithoutCertificateOrWithOneFromAnotherCaIsRefusedAtTheHandshake() throws Exception {
    TlsMaterial otherRun = TlsMaterial.generate(List.of());
    try (PluginBroker broker = PluginBroker.builder().tls(true).build().start()) {
      String ca = broker.tlsAuthorityCertificate().orElseThrow();
      assertEquals(Status.Code.UNAVAILABLE, listWith(broker, tls(ca, null)));
      assertEquals(Status.Code.UNAVAILABLE, listWith(broker, tls(ca, otherRun.issuePlugin("impostor"))));
    }
  }

  @Test
  void brokerCertificateIsNotTrustedByAClientOfAnotherRun() throws Exception {
    TlsMaterial otherRun = TlsMaterial.generate(List.of());
    try (PluginBroker broker = PluginBroker.builder().tls(true).build().start()) {
      assertEquals(
          Status.Code.UNAVAILABLE,
          listWith(broker, tls(otherRun.caPem(), otherRun.issuePlugin("client"))));
    }
  }

  @Test
  void userSuppliedAuthorityIssuesTheBrokersAndClientsCertificates() throws Exception {
    Path caCert = dir.resolve("ca.pem");
    Path caKey = dir.resolve("ca-key.pem");
    writeRsaAuthority(caCert, caKey);
    TlsMaterial sameCa = TlsMaterial.fromAuthority(caCert, caKey, List.of());
    TlsMaterial.Identity client = sameCa.issuePlugin("client");
    try (PluginBroker broker = PluginBroker.builder().tlsAuthority(caCert, caKey).build().start()) {
      assertEquals(certificate(Files.readString(caCert)), certificate(broker.tlsAuthorityCertificate().orElseThrow()));
      assertEquals(
          Status.Code.UNAUTHENTICATED,
          listWith(broker, tls(Files.readString(caCert), client)),
          "through TLS with the user's CA; refused only for lack of a broker credential");
    }
    try (PluginBroker other = PluginBroker.builder().tls(true).build().start()) {
      assertEquals(Status.Code.UNAVAILABLE, listWith(other, tls(other.tlsAuthorityCertificate().orElseThrow(), client)));
    }
  }

  @Test
  void tlsOffServesPlaintextAndStillRequiresACredential() throws Exception {
    try (PluginBroker broker = PluginBroker.builder().tls(false).build().start()) {
      assertTrue(broker.tlsAuthorityCertificate().isEmpty());
      assertEquals(Status.Code.UNAUTHENTICATED, listWith(broker, InsecureChannelCredentials.create()));
    }
  }

  @Test
  void badTlsSettingsAreRefusedByBuild() throws Exception {
    Path caCert = dir.resolve("ca.pem");
    Path caKey = dir.resolve("ca-key.pem");
    writeRsaAuthority(caCert, caKey);
    IllegalArgumentException both =
        assertThrows(IllegalArgumentException.class,
            () -> PluginBroker.builder().tls(false).tlsAuthority(caCert, caKey).build());
    assertTrue(both.getMessage().contains("tls(false)"), both.getMessage());

    IllegalArgumentException swapped =
        assertThrows(IllegalArgumentException.class,
            () -> PluginBroker.builder().tlsAuthority(caKey, caCert).build());
    assertTrue(swapped.getMessage().startsWith("TLS authority certificate " + caKey + " holds no PEM certificate"),
        swapped.getMessage());

    Path leaf = dir.resolve("leaf.pem");
    Path leafKey = dir.resolve("leaf-key.pem");
    TlsMaterial.Identity id = TlsMaterial.fromAuthority(caCert, caKey, List.of()).issuePlugin("x");
    Files.writeString(leaf, id.certificatePem());
    Files.writeString(leafKey, id.privateKeyPem());
    IllegalArgumentException notCa =
        assertThrows(IllegalArgumentException.class,
            () -> PluginBroker.builder().tlsAuthority(leaf, leafKey).build());
    assertTrue(notCa.getMessage().contains("is not a CA certificate"), notCa.getMessage());

    Path otherKey = dir.resolve("other-key.pem");
    Files.writeString(otherKey, id.privateKeyPem());
    IllegalArgumentException mismatch =
        assertThrows(IllegalArgumentException.class,
            () -> PluginBroker.builder().tlsAuthority(caCert, otherKey).build());
    assertTrue(mismatch.getMessage().contains("does not belong to the certificate"), mismatch.getMessage());
  }

  @Test
  void identitiesNeverShowTheirKey() {
    TlsMaterial.Identity id = TlsMaterial.generate(List.of()).issuePlugin("x");
    assertTrue(id.toString().startsWith("Identity[sha256="));
    assertTrue(!id.toString().contains("PRIVATE KEY"));
  }

  private static X509Certificate certificate(String pem) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(pem(pem));
  }

  /** A CA as an organisation might have one: RSA, key in the traditional PKCS#1 PEM form. */
  private static void writeRsaAuthority(Path cert, Path key) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair kp = g.generateKeyPair();
    X500Name name = new X500Name("CN=Example Org Plugin CA");
    Instant now = Instant.now();
    X509Certificate ca =
        new JcaX509CertificateConverter().getCertificate(
            new JcaX509v3CertificateBuilder(
                    name, BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minus(1, ChronoUnit.HOURS)),
                    Date.from(now.plus(30, ChronoUnit.DAYS)), name, kp.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(kp.getPrivate())));
    Files.writeString(cert, pemOf(ca));
    Files.writeString(key, pemOf(kp.getPrivate()));
  }

  private static String pemOf(Object o) throws Exception {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(o);
    }
    return w.toString();
  }
}
