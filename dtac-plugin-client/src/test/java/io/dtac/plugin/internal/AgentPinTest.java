package io.dtac.plugin.internal;

import io.dtac.core.Protocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * A plugin pins the agent's certificate from {@code DTAC_TLS_CA}, over real TLS on loopback: its
 * server accepts the agent and no sibling, and its broker connection accepts the agent and no
 * sibling, although one CA issued all three certificates.
 */
class AgentPinTest {
  private record Pem(String cert, String key) {}

  private static final KeyPair CA_KEY = keyPair();
  private static final X500Name CA = new X500Name("CN=run CA");
  private static final Pem AGENT = issue("CN=dtac-agent, OU=agent");
  private static final Pem PLUGIN = issue("CN=me, OU=plugin");
  private static final Pem SIBLING = issue("CN=sibling, OU=plugin");

  private static final Map<String, String> ENV =
      Map.of(Protocol.ENV_TLS_CERT, PLUGIN.cert(), Protocol.ENV_TLS_KEY, PLUGIN.key(), Protocol.ENV_TLS_CA, AGENT.cert());

  @Test
  void pluginServerAcceptsTheAgentsClientCertificateAndNoSiblings() throws Exception {
    Server server = serve(TlsEnvironment.serverCredentials(ENV));
    try {
      assertEquals(Status.Code.OK, check(server, presenting(AGENT)));
      assertEquals(Status.Code.UNAVAILABLE, check(server, presenting(SIBLING)),
          "a sibling's certificate from the same CA does not open the plugin's server");
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void brokerConnectionAcceptsTheAgentsServerCertificateAndNoSiblings() throws Exception {
    Server agent = serve(TlsServerCredentials.create(pem(AGENT.cert()), pem(AGENT.key())));
    Server fake = serve(TlsServerCredentials.create(pem(SIBLING.cert()), pem(SIBLING.key())));
    try {
      assertEquals(Status.Code.OK, check(agent, TlsEnvironment.channelCredentials(ENV)));
      assertEquals(Status.Code.UNAVAILABLE, check(fake, TlsEnvironment.channelCredentials(ENV)),
          "a sibling posing as the broker is refused");
    } finally {
      agent.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      fake.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aValueThatIsNoCertificateIsAnError() {
    IOException e = assertThrows(IOException.class,
        () -> TlsEnvironment.serverCredentials(Map.of(
            Protocol.ENV_TLS_CERT, PLUGIN.cert(), Protocol.ENV_TLS_KEY, PLUGIN.key(),
            Protocol.ENV_TLS_CA, "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n")));
    assertTrue(e.getMessage().startsWith("DTAC_TLS_CA holds no"), e.getMessage());
  }

  @Test
  void aCaCertificateInsteadOfTheAgentsIsAnErrorThatSaysWhy() throws Exception {
    X509Certificate ca =
        new JcaX509CertificateConverter().getCertificate(
            new JcaX509v3CertificateBuilder(
                    CA, BigInteger.ONE, Date.from(Instant.now().minus(Duration.ofMinutes(5))),
                    Date.from(Instant.now().plus(Duration.ofHours(1))), CA, CA_KEY.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(CA_KEY.getPrivate())));
    IOException e = assertThrows(IOException.class,
        () -> TlsEnvironment.serverCredentials(Map.of(
            Protocol.ENV_TLS_CERT, PLUGIN.cert(), Protocol.ENV_TLS_KEY, PLUGIN.key(), Protocol.ENV_TLS_CA, pemOf(ca))));
    assertTrue(e.getMessage().contains("holds a CA certificate (CN=run CA)") && e.getMessage().contains("older than the SDK"),
        e.getMessage());
  }

  /** What the agent (or a sibling) presents when it dials a plugin: its certificate; it trusts any server. */
  private static ChannelCredentials presenting(Pem who) throws IOException {
    return TlsChannelCredentials.newBuilder()
        .keyManager(pem(who.cert()), pem(who.key()))
        .trustManager(pem(PLUGIN.cert()))
        .build();
  }

  private static Server serve(ServerCredentials credentials) throws IOException {
    return NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), credentials)
        .addService(new HealthStatusManager().getHealthService())
        .build()
        .start();
  }

  private static Status.Code check(Server server, ChannelCredentials credentials) throws Exception {
    int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", port, credentials).build();
    try {
      HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static InputStream pem(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.US_ASCII));
  }

  /** A leaf certificate for localhost, signed by the test CA, as PEM. */
  private static Pem issue(String subject) {
    try {
      KeyPair kp = keyPair();
      Instant now = Instant.now();
      X509Certificate cert =
          new JcaX509CertificateConverter().getCertificate(
              new JcaX509v3CertificateBuilder(
                      CA, new BigInteger(64, new SecureRandom()),
                      Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofHours(1))),
                      new X500Name(subject), kp.getPublic())
                  .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                  .addExtension(Extension.subjectAlternativeName, false,
                      new GeneralNames(new GeneralName(GeneralName.dNSName, "localhost")))
                  .build(new JcaContentSignerBuilder("SHA256withECDSA").build(CA_KEY.getPrivate())));
      return new Pem(pemOf(cert), pemOf(kp.getPrivate()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pemOf(Object o) throws IOException {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(o instanceof PrivateKey k ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null) : o);
    }
    return w.toString();
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(256);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
