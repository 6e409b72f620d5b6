package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SelfSignedCertificateTest {
  @TempDir Path tmp;

  @Test
  void firstStartCreatesOwnerOnlyKeyAndPublicCertificate() throws Exception {
    AgentHome home = AgentHome.open(tmp.resolve("home"));
    SelfSignedCertificate c = SelfSignedCertificate.loadOrCreate(home);
    assertTrue(c.created());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(home.privateKey())));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(home.certificate())));
    try (InputStream in = Files.newInputStream(home.certificate())) {
      X509Certificate pem = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      assertEquals(c.certificate(), pem);
    }
  }

  @Test
  void laterStartsReuseIt() throws IOException {
    AgentHome home = AgentHome.open(tmp.resolve("home"));
    String first = SelfSignedCertificate.loadOrCreate(home).fingerprint();
    SelfSignedCertificate again = SelfSignedCertificate.loadOrCreate(home);
    assertFalse(again.created());
    assertEquals(first, again.fingerprint());
  }

  @Test
  void aMissingKeyMeansANewCertificate() throws IOException {
    AgentHome home = AgentHome.open(tmp.resolve("home"));
    String first = SelfSignedCertificate.loadOrCreate(home).fingerprint();
    Files.delete(home.privateKey());
    SelfSignedCertificate again = SelfSignedCertificate.loadOrCreate(home);
    assertTrue(again.created());
    assertNotEquals(first, again.fingerprint());
  }

  @Test
  void keyOthersCanReadIsRefused() throws IOException {
    AgentHome home = AgentHome.open(tmp.resolve("home"));
    SelfSignedCertificate.loadOrCreate(home);
    Files.setPosixFilePermissions(home.privateKey(), PosixFilePermissions.fromString("rw-rw-rw-"));
    IOException e = assertThrows(IOException.class, () -> SelfSignedCertificate.loadOrCreate(home));
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
  }

  @Test
  void namesLocalhostAndTheLoopbackAddresses() throws Exception {
    X509Certificate c = SelfSignedCertificate.generate(Instant.now()).certificate();
    Set<String> names = c.getSubjectAlternativeNames().stream()
        .map(n -> (String) ((List<?>) n).get(1)).collect(Collectors.toSet());
    assertTrue(names.contains("localhost"), names.toString());
    assertTrue(names.contains("127.0.0.1"), names.toString());
    assertTrue(names.stream().anyMatch(n -> n.startsWith("0:0:0:0:0:0:0:1")), names.toString());
    assertEquals(List.of("1.3.6.1.5.5.7.3.1"), c.getExtendedKeyUsage());
    c.checkValidity();
  }
}
