package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.examples.agent.BearerTokens.Verdict;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerTokensTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final byte[] SECRET = secret((byte) 1);

  @TempDir Path tmp;

  private static byte[] secret(byte fill) {
    byte[] s = new byte[32];
    Arrays.fill(s, fill);
    return s;
  }

  private static BearerTokens at(Instant instant, byte[] secret) {
    return new BearerTokens(secret, Clock.fixed(instant, ZoneOffset.UTC));
  }

  @Test
  void issuedTokenIsValidUntilItExpires() {
    String token = at(NOW, SECRET).issue(Duration.ofHours(1));
    assertTrue(token.startsWith("dtac1."), token);
    assertEquals(Verdict.VALID, at(NOW, SECRET).verify(token));
    assertEquals(Verdict.VALID, at(NOW.plusSeconds(3599), SECRET).verify(token));
    assertEquals(Verdict.EXPIRED, at(NOW.plusSeconds(3600), SECRET).verify(token));
  }

  @Test
  void tokenOfAnotherSecretIsInvalid() {
    String token = at(NOW, secret((byte) 2)).issue(Duration.ofHours(1));
    assertEquals(Verdict.INVALID, at(NOW, SECRET).verify(token));
  }

  @Test
  void tokenWithAForgedExpiryIsInvalid() {
    String token = at(NOW, SECRET).issue(Duration.ofHours(1));
    String[] parts = token.split("\\.");
    String forged = parts[0] + "." + (Long.parseLong(parts[1]) + 86_400) + "." + parts[2] + "." + parts[3];
    assertEquals(Verdict.INVALID, at(NOW, SECRET).verify(forged));
  }

  @Test
  void tokensAreUniqueEvenWithinOneSecond() {
    BearerTokens tokens = at(NOW, SECRET);
    assertFalse(tokens.issue(Duration.ofHours(1)).equals(tokens.issue(Duration.ofHours(1))));
  }

  @Test
  void garbageIsRejectedWithoutThrowing() {
    BearerTokens tokens = at(NOW, SECRET);
    String valid = tokens.issue(Duration.ofHours(1));
    for (String garbage : List.of("x", ".", "...", "dtac1...", "dtac1.1.a.", "dtac1.abc.def.ghi",
        "dtac2" + valid.substring(5), valid + "x", valid.substring(0, valid.length() - 1) + "!",
        "dtac1.99999999999999999999.a.b", "dtac1.1.é.b", "a".repeat(10_000))) {
      Verdict v = tokens.verify(garbage);
      assertTrue(v == Verdict.MALFORMED || v == Verdict.INVALID, garbage + " -> " + v);
    }
    assertEquals(Verdict.MISSING, tokens.verify(""));
    assertEquals(Verdict.MISSING, tokens.verify(null));
  }

  @Test
  void authorizationHeaderNeedsTheBearerScheme() {
    BearerTokens tokens = at(NOW, SECRET);
    String token = tokens.issue(Duration.ofHours(1));
    assertEquals(Verdict.VALID, tokens.verifyHeader("Bearer " + token));
    assertEquals(Verdict.VALID, tokens.verifyHeader("bearer  " + token + " "));
    assertEquals(Verdict.MISSING, tokens.verifyHeader(null));
    assertEquals(Verdict.MISSING, tokens.verifyHeader(token));
    assertEquals(Verdict.MISSING, tokens.verifyHeader("Basic " + token));
    assertEquals(Verdict.MISSING, tokens.verifyHeader("Bearer"));
  }

  @Test
  void messagesNeverContainTheToken() {
    for (Verdict v : Verdict.values()) {
      assertFalse(v.message().contains("dtac1."), v.message());
    }
  }

  @Test
  void lifetimeMustBePositiveAndAtMostAYear() {
    BearerTokens tokens = at(NOW, SECRET);
    assertThrows(IllegalArgumentException.class, () -> tokens.issue(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> tokens.issue(Duration.ofDays(366)));
  }

  @Test
  void shortSecretIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> at(NOW, new byte[16]));
  }

  @Test
  void loadCreatesAnOwnerOnlySecretOnceAndReusesIt() throws IOException {
    AgentHome home = AgentHome.open(tmp.resolve("home"));
    String token = BearerTokens.load(home).issue(Duration.ofHours(1));
    byte[] secret = Files.readAllBytes(home.tokenSecret());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(home.tokenSecret())));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(home.dir())));

    assertEquals(Verdict.VALID, BearerTokens.load(home).verify(token));
    assertArrayEquals(secret, Files.readAllBytes(home.tokenSecret()));
  }

  @Test
  void secretOthersCanReadIsRefusedWithTheFix() throws IOException {
    AgentHome home = AgentHome.open(tmp.resolve("home"));
    BearerTokens.load(home);
    Files.setPosixFilePermissions(home.tokenSecret(), PosixFilePermissions.fromString("rw-r--r--"));
    IOException e = assertThrows(IOException.class, () -> BearerTokens.load(home));
    assertTrue(e.getMessage().contains("chmod 600 " + home.tokenSecret()), e.getMessage());
  }

  @Test
  void replacingTheSecretRevokesEveryToken() throws IOException {
    AgentHome home = AgentHome.open(tmp.resolve("home"));
    String token = BearerTokens.load(home).issue(Duration.ofHours(1));
    Files.delete(home.tokenSecret());
    assertEquals(Verdict.INVALID, BearerTokens.load(home).verify(token));
  }
}
