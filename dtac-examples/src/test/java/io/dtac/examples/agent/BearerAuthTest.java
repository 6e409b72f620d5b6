package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BearerAuthTest {
  private static final BearerTokens TOKENS = new BearerTokens(new byte[32], Clock.systemUTC());
  private static final BearerAuth AUTH = new BearerAuth(TOKENS);

  @Test
  void theTokenComesInTheAuthorizationHeader() {
    String token = TOKENS.issue(Duration.ofMinutes(5));
    assertEquals(BearerTokens.Verdict.VALID,
        AUTH.verify(new MemoryCall("GET", "/plugins").header("authorization", "Bearer " + token)));
    assertEquals(BearerTokens.Verdict.MISSING, AUTH.verify(new MemoryCall("GET", "/plugins")));
    assertEquals(BearerTokens.Verdict.MALFORMED,
        AUTH.verify(new MemoryCall("GET", "/plugins").header("Authorization", "Bearer x")));
  }

  @Test
  void aValidTokenPasses() throws HttpError {
    BearerAuth.require(BearerTokens.Verdict.VALID);
  }

  @Test
  void aMissingTokenIs401WithAPlainChallenge() {
    HttpError e = assertThrows(HttpError.class, () -> BearerAuth.require(BearerTokens.Verdict.MISSING));
    assertEquals(401, e.status());
    assertEquals(BearerTokens.Verdict.MISSING.message(), e.getMessage());
    assertEquals("Bearer realm=\"dtac\"", e.headers().get("WWW-Authenticate"));
  }

  @Test
  void aBadTokenIs401WithInvalidToken() {
    for (BearerTokens.Verdict v : new BearerTokens.Verdict[] {
        BearerTokens.Verdict.MALFORMED, BearerTokens.Verdict.INVALID, BearerTokens.Verdict.EXPIRED}) {
      HttpError e = assertThrows(HttpError.class, () -> BearerAuth.require(v));
      assertEquals(401, e.status());
      assertEquals(v.message(), e.getMessage());
      assertEquals("Bearer realm=\"dtac\", error=\"invalid_token\"", e.headers().get("WWW-Authenticate"));
    }
  }
}
