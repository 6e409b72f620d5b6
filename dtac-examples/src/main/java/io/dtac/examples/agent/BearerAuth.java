package io.dtac.examples.agent;

import java.util.Map;

/**
 * The gateway's bearer-token check: the header a token comes in, and the 401 that refuses a
 * request without a valid one ({@code WWW-Authenticate: Bearer}, RFC 6750). Which routes need a
 * token is {@link GatewayRouter}'s to say. Thread-safe.
 */
final class BearerAuth {
  /** The request header that carries the token; it never reaches a plugin. */
  static final String HEADER = "Authorization";

  private final BearerTokens tokens;

  BearerAuth(BearerTokens tokens) {
    this.tokens = tokens;
  }

  /** What the token of {@code call} is worth; a missing or non-bearer header is MISSING. */
  BearerTokens.Verdict verify(HttpCall call) {
    return tokens.verifyHeader(call.requestHeader(HEADER));
  }

  /**
   * Passes a valid token.
   *
   * @throws HttpError 401 with the verdict's message (never the token) and a challenge that says
   *     {@code invalid_token} unless the token was missing
   */
  static void require(BearerTokens.Verdict verdict) throws HttpError {
    if (verdict != BearerTokens.Verdict.VALID) {
      String challenge = verdict == BearerTokens.Verdict.MISSING
          ? "Bearer realm=\"dtac\""
          : "Bearer realm=\"dtac\", error=\"invalid_token\"";
      throw new HttpError(401, verdict.message(), Map.of("WWW-Authenticate", challenge));
    }
  }
}
