package io.dtac.examples.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Issues and verifies the REST gateway's bearer tokens.
 *
 * <p>A token is {@code dtac1.EXPIRY.NONCE.MAC}: the expiry in epoch seconds, 12 random bytes, and
 * an HMAC-SHA256 over {@code dtac1.EXPIRY.NONCE} keyed with the secret in
 * {@code $DTAC_HOME/token.secret}. The agent therefore keeps no list of tokens: anyone who can
 * read the secret can mint tokens (that is what {@code dtac token} does, as the agent's user), and
 * replacing the secret revokes every token issued so far. The MAC is compared in constant time.
 *
 * <p>Thread-safe and immutable. Tokens and the secret are never part of any message this class
 * produces, so nothing here can leak them into a log.
 */
final class BearerTokens {
  static final String PREFIX = "dtac1";
  static final Duration DEFAULT_TTL = Duration.ofHours(24);
  static final Duration MAX_TTL = Duration.ofDays(365);

  private static final int SECRET_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int MAX_TOKEN_CHARS = 256;
  private static final String HMAC = "HmacSHA256";
  private static final SecureRandom RANDOM = new SecureRandom();

  /** What verification concluded; every value but {@link #VALID} is a 401. */
  enum Verdict {
    VALID("valid"),
    MISSING("missing bearer token: send 'Authorization: Bearer TOKEN'; get a TOKEN with: dtac token"),
    MALFORMED("malformed bearer token; get a new one with: dtac token"),
    INVALID("invalid bearer token (not issued for this agent's DTAC_HOME, or its secret changed);"
        + " get a new one with: dtac token"),
    EXPIRED("bearer token expired; get a new one with: dtac token");

    private final String message;

    Verdict(String message) {
      this.message = message;
    }

    /** A message for the caller that never contains the token. */
    String message() {
      return message;
    }
  }

  private final SecretKeySpec key;
  private final Clock clock;

  BearerTokens(byte[] secret, Clock clock) {
    if (secret.length < SECRET_BYTES) {
      throw new IllegalArgumentException(
          "token secret must be at least " + SECRET_BYTES + " bytes, got " + secret.length);
    }
    this.key = new SecretKeySpec(secret.clone(), HMAC);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * The tokens of {@code home}: reads {@code token.secret}, creating it (32 random bytes,
   * owner-only) if it does not exist yet.
   *
   * @throws IOException if the secret cannot be read or written, or others may read it
   */
  static BearerTokens load(AgentHome home) throws IOException {
    byte[] secret =
        home.locked(
            () -> {
              if (!Files.exists(home.tokenSecret())) {
                byte[] fresh = new byte[SECRET_BYTES];
                RANDOM.nextBytes(fresh);
                home.writeOwnerOnly(
                    home.tokenSecret(),
                    Base64.getEncoder().encode(fresh));
              }
              return home.readSecret(home.tokenSecret());
            });
    byte[] decoded;
    try {
      decoded = Base64.getDecoder().decode(new String(secret, StandardCharsets.US_ASCII).trim());
    } catch (IllegalArgumentException e) {
      throw new IOException(home.tokenSecret() + " is not a base64 secret; delete it to make a new one"
          + " (this revokes every token issued so far)", e);
    }
    try {
      return new BearerTokens(decoded, Clock.systemUTC());
    } catch (IllegalArgumentException e) {
      throw new IOException(home.tokenSecret() + ": " + e.getMessage()
          + "; delete it to make a new one", e);
    }
  }

  /**
   * A new token valid for {@code ttl}.
   *
   * @throws IllegalArgumentException if {@code ttl} is not positive or longer than a year
   */
  String issue(Duration ttl) {
    if (ttl.isZero() || ttl.isNegative() || ttl.compareTo(MAX_TTL) > 0) {
      throw new IllegalArgumentException("token lifetime must be positive and at most 365d, got " + ttl);
    }
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    long expiry = clock.instant().plus(ttl).getEpochSecond();
    String signed = PREFIX + "." + expiry + "." + base64(nonce);
    return signed + "." + base64(mac(signed));
  }

  /** Verifies an {@code Authorization} header value ({@code null}: none was sent). */
  Verdict verifyHeader(String authorization) {
    if (authorization == null || authorization.isBlank()) {
      return Verdict.MISSING;
    }
    String value = authorization.strip();
    int space = value.indexOf(' ');
    if (space < 0 || !value.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
      return Verdict.MISSING;
    }
    return verify(value.substring(space + 1).strip());
  }

  /** Verifies a token; never throws, whatever the input. */
  Verdict verify(String token) {
    if (token == null || token.isEmpty()) {
      return Verdict.MISSING;
    }
    if (token.length() > MAX_TOKEN_CHARS) {
      return Verdict.MALFORMED;
    }
    int lastDot = token.lastIndexOf('.');
    String signed = lastDot < 0 ? "" : token.substring(0, lastDot);
    String[] parts = signed.split("\\.", -1);
    if (parts.length != 3 || !parts[0].equals(PREFIX) || !parts[1].matches("[0-9]{1,12}")
        || !parts[2].matches("[A-Za-z0-9_-]{1,64}")) {
      return Verdict.MALFORMED;
    }
    byte[] presented;
    try {
      presented = Base64.getUrlDecoder().decode(token.substring(lastDot + 1));
    } catch (IllegalArgumentException e) {
      return Verdict.MALFORMED;
    }
    if (!MessageDigest.isEqual(presented, mac(signed))) {
      return Verdict.INVALID;
    }
    long expiry = Long.parseLong(parts[1]);
    return clock.instant().isBefore(Instant.ofEpochSecond(expiry)) ? Verdict.VALID : Verdict.EXPIRED;
  }

  private byte[] mac(String signed) {
    try {
      Mac mac = Mac.getInstance(HMAC);
      mac.init(key);
      return mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(HMAC + " is part of every JDK", e);
    }
  }

  private static String base64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  @Override
  public String toString() {
    return "BearerTokens[HMAC-SHA256]";
  }
}
