package io.dtac.broker.server.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The broker credentials issued to plugin processes: one random 256-bit secret per launch, handed
 * over in the process environment, bound to the plugin's name once its handshake names it, and
 * revoked when the process stops. Only SHA-256 digests are kept, so a lookup reveals nothing
 * about other secrets through timing.
 */
public final class CredentialStore {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, String> nameByDigest = new ConcurrentHashMap<>();

  /** A new secret, not yet bound to a name (calls with it are refused until it is). */
  public String issue() {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  /** Binds {@code credential} to the plugin {@code name}. */
  public void bind(String credential, String name) {
    nameByDigest.put(digest(credential), name);
  }

  /** Revokes a credential; calls with it are refused from now on. */
  public void revoke(String credential) {
    if (credential != null) {
      nameByDigest.remove(digest(credential));
    }
  }

  /** The plugin the credential was issued to, or null. */
  public String lookup(String credential) {
    return credential == null || credential.isEmpty() ? null : nameByDigest.get(digest(credential));
  }

  private static String digest(String credential) {
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(credential.getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
