package io.dtac.broker.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.ListPluginsRequest;
import io.dtac.broker.server.internal.TlsMaterial;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
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
  void userSuppliedAuthorityIssuesTheBrokersCertificateButItsOtherCertificatesOpenNothing() throws Exception {
    Path caCert = dir.resolve("ca.pem");
    Path caKey = dir.resolve("ca-key.pem");
    writeRsaAuthority(caCert, caKey);
    X509Certificate userCa = certificate(Files.readString(caCert));
    TlsMaterial.Identity sameCaNotIssuedByTheBroker =
        TlsMaterial.fromAuthority(caCert, caKey, List.of()).issuePlugin("client");
    try (PluginBroker broker = PluginBroker.builder().tlsAuthority(caCert, caKey).build().start()) {
      assertEquals(userCa, certificate(broker.tlsAuthorityCertificate().orElseThrow()));
      List<X509Certificate> serverChain = new java.util.concurrent.CopyOnWriteArrayList<>();
      ChannelCredentials recording =
          TlsChannelCredentials.newBuilder()
              .trustManager(new RecordingTrustManager(serverChain))
              .keyManager(pem(sameCaNotIssuedByTheBroker.certificatePem()), pem(sameCaNotIssuedByTheBroker.privateKeyPem()))
              .build();
      assertEquals(Status.Code.UNAVAILABLE, listWith(broker, recording),
          "a certificate of the user's CA that the broker did not issue to a launch fails the handshake");
      assertTrue(!serverChain.isEmpty(), "the client saw the broker's certificate");
      serverChain.get(0).verify(userCa.getPublicKey());
      assertTrue(serverChain.get(0).getSubjectX500Principal().getName().contains("OU=agent"));
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
  void certificatesNameOnePluginOrTheAgentInOneRoleAndPluginsOnesLiveADay() throws Exception {
    TlsMaterial tls = TlsMaterial.generate(List.of());
    Instant before = Instant.now();
    X509Certificate plugin = certificate(tls.issuePlugin("hello").certificatePem());
    String subject = plugin.getSubjectX500Principal().getName();
    assertTrue(subject.contains("CN=hello") && subject.contains("OU=plugin"), subject);
    assertEquals(-1, plugin.getBasicConstraints());
    Instant notAfter = plugin.getNotAfter().toInstant();
    assertTrue(!notAfter.isBefore(before.plus(TlsMaterial.PLUGIN_CERTIFICATE_LIFETIME).minusSeconds(1))
        && !notAfter.isAfter(Instant.now().plus(TlsMaterial.PLUGIN_CERTIFICATE_LIFETIME)), plugin.toString());

    List<X509Certificate> agent = certificates(tls.agentCertificatePem());
    assertEquals(1, agent.size(), "plugins get the agent's certificate alone, not the CA");
    String agentSubject = agent.get(0).getSubjectX500Principal().getName();
    assertTrue(agentSubject.contains("CN=dtac-agent") && agentSubject.contains("OU=agent"), agentSubject);
    assertEquals(-1, agent.get(0).getBasicConstraints(), "the agent's certificate can issue nothing");
  }

  @Test
  void brokerServerAcceptsExactlyTheCertificatesItIssuedAndKnowsWhichLiveLaunchHoldsEach() throws Exception {
    Path caCert = dir.resolve("ca.pem");
    Path caKey = dir.resolve("ca-key.pem");
    writeRsaAuthority(caCert, caKey);
    TlsMaterial tls = TlsMaterial.fromAuthority(caCert, caKey, List.of());
    TlsMaterial.Identity hello = tls.issuePlugin("hello");
    TlsMaterial.Identity unregistered = tls.issuePlugin("starting");
    TlsMaterial.Identity stopped = tls.issuePlugin("stopped");
    tls.issued().register(hello.fingerprint(), "HelloPlugin");
    tls.issued().register(stopped.fingerprint(), "Stopped");
    tls.issued().revoke(stopped.fingerprint());
    TlsMaterial.Identity sameCaOtherIssuer = TlsMaterial.fromAuthority(caCert, caKey, List.of()).issuePlugin("hello");

    AtomicReference<String> holder = new AtomicReference<>();
    Server server = brokerLikeServer(tls, holder);
    try {
      String agentPem = tls.agentCertificatePem();
      assertEquals(Status.Code.OK, check(server, tls(agentPem, hello)));
      assertEquals("HelloPlugin", holder.get());
      assertEquals(Status.Code.OK, check(server, tls(agentPem, unregistered)));
      assertNull(holder.get(), "a launch that has not named itself holds no plugin's identity");
      assertEquals(Status.Code.OK, check(server, tls(agentPem, stopped)),
          "a revoked certificate passes the handshake, so that its calls are refused and audited");
      assertNull(holder.get(), "but it names no plugin");
      holder.set("untouched");
      assertEquals(Status.Code.UNAVAILABLE, check(server, tls(agentPem, sameCaOtherIssuer)),
          "same CA, same file stem, but not a certificate this agent issued: refused at the handshake");
      assertEquals(Status.Code.UNAVAILABLE, check(server, tls(agentPem, tls.agent())),
          "the agent's own certificate is no plugin launch's");
      assertEquals("untouched", holder.get(), "no call got through");
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aConnectionOpenedWhileTheLaunchRanIsWorthNothingOnceItEnds() throws Exception {
    TlsMaterial tls = TlsMaterial.generate(List.of());
    TlsMaterial.Identity hello = tls.issuePlugin("hello");
    tls.issued().register(hello.fingerprint(), "HelloPlugin");
    AtomicReference<String> holder = new AtomicReference<>();
    Server server = brokerLikeServer(tls, holder);
    int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    ManagedChannel channel =
        Grpc.newChannelBuilderForAddress("localhost", port, tls(tls.agentCertificatePem(), hello)).build();
    try {
      HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(channel);
      stub.withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
      assertEquals("HelloPlugin", holder.get());
      tls.issued().revoke(hello.fingerprint());
      stub.withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
      assertNull(holder.get(), "the same connection names no plugin once the launch has ended");
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void agentDialsAPluginOnlyOverTheCertificateItIssuedToThatLiveLaunch() throws Exception {
    TlsMaterial tls = TlsMaterial.generate(List.of());
    TlsMaterial.Identity x = tls.issuePlugin("x");
    TlsMaterial.Identity y = tls.issuePlugin("y");
    tls.issued().register(x.fingerprint(), "X");
    tls.issued().register(y.fingerprint(), "Y");
    Server servingX = pluginLikeServer(x);
    Server servingY = pluginLikeServer(y);
    try {
      assertEquals(Status.Code.OK, check(servingX, tls.channelCredentials(x.fingerprint())));
      assertEquals(Status.Code.UNAVAILABLE, check(servingY, tls.channelCredentials(x.fingerprint())),
          "a server presenting a sibling's certificate (same CA) is not plugin X");
      tls.issued().revoke(x.fingerprint());
      assertEquals(Status.Code.UNAVAILABLE, check(servingX, tls.channelCredentials(x.fingerprint())),
          "X's launch has ended: its certificate is worth nothing to the agent");
      assertEquals(Status.Code.OK, check(servingY, tls.channelCredentials(y.fingerprint())));
    } finally {
      servingX.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      servingY.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aPluginRunningPastItsCertificatesLifetimeKeepsWorkingWithTheAgent() throws Exception {
    MovableClock clock = new MovableClock(Instant.now().minus(TlsMaterial.PLUGIN_CERTIFICATE_LIFETIME.plusHours(1)));
    TlsMaterial tls = TlsMaterial.generate(List.of(), clock);
    TlsMaterial.Identity old = tls.issuePlugin("long-running");
    tls.issued().register(old.fingerprint(), "LongRunning");
    TlsMaterial.Identity ended = tls.issuePlugin("ended");
    tls.issued().register(ended.fingerprint(), "Ended");
    tls.issued().revoke(ended.fingerprint());
    clock.now = Instant.now();
    assertTrue(certificate(old.certificatePem()).getNotAfter().before(new Date()), "the certificate has expired");

    AtomicReference<String> holder = new AtomicReference<>();
    Server broker = brokerLikeServer(tls, holder);
    Server plugin = pluginLikeServer(old);
    try {
      assertEquals(Status.Code.OK, check(broker, tls(tls.agentCertificatePem(), old)));
      assertEquals("LongRunning", holder.get());
      assertEquals(Status.Code.OK, check(plugin, tls.channelCredentials(old.fingerprint())));

      assertEquals(Status.Code.OK, check(broker, tls(tls.agentCertificatePem(), ended)),
          "a revoked certificate is remembered (and refused per call) until it is forgotten");
      assertNull(holder.get());
      tls.issuePlugin("next");
      assertEquals(Status.Code.UNAVAILABLE, check(broker, tls(tls.agentCertificatePem(), ended)),
          "an expired revoked certificate is forgotten: the handshake refuses it");
      assertEquals(Status.Code.OK, check(broker, tls(tls.agentCertificatePem(), old)));
      assertEquals("LongRunning", holder.get(), "a live launch's expired certificate is never forgotten");
    } finally {
      broker.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      plugin.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** A clock a test sets. */
  private static final class MovableClock extends Clock {
    volatile Instant now;

    MovableClock(Instant now) {
      this.now = now;
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  /** The broker's TLS on loopback, serving health, recording which plugin holds each caller's certificate. */
  private static Server brokerLikeServer(TlsMaterial tls, AtomicReference<String> holder) throws Exception {
    ServerInterceptor who =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            holder.set(tls.issued().pluginFor(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION)));
            return next.startCall(call, headers);
          }
        };
    return NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), tls.serverCredentials())
        .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(), who))
        .build()
        .start();
  }

  /** A plugin's TLS server: its certificate, no client authentication (a legacy DTAC plugin). */
  private static Server pluginLikeServer(TlsMaterial.Identity identity) throws Exception {
    return NettyServerBuilder.forAddress(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            TlsServerCredentials.create(pem(identity.certificatePem()), pem(identity.privateKeyPem())))
        .addService(new HealthStatusManager().getHealthService())
        .build()
        .start();
  }

  /** A health check of {@code server} over {@code credentials}; the status it ends with. */
  private static Status.Code check(Server server, ChannelCredentials credentials) throws Exception {
    int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", port, credentials).build();
    try {
      HealthGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Trusts any server, recording the chain it presented. */
  private static final class RecordingTrustManager extends X509ExtendedTrustManager {
    private final List<X509Certificate> seen;

    RecordingTrustManager(List<X509Certificate> seen) {
      this.seen = seen;
    }

    private void record(X509Certificate[] chain) {
      seen.addAll(List.of(chain));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      record(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
      record(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
      record(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
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

  private static List<X509Certificate> certificates(String pem) throws Exception {
    List<X509Certificate> out = new java.util.ArrayList<>();
    for (java.security.cert.Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(pem(pem))) {
      out.add((X509Certificate) c);
    }
    return out;
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
