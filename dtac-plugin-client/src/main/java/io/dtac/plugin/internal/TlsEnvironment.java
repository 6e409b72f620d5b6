package io.dtac.plugin.internal;

import io.dtac.core.Protocol;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The TLS settings the agent hands a plugin process in its environment, as gRPC credentials.
 *
 * <ul>
 *   <li>{@code DTAC_TLS_CERT} and {@code DTAC_TLS_KEY}: the plugin's certificate and key (PEM,
 *       inline or a file path). With both, the plugin serves TLS (the DTAC protocol).
 *   <li>{@code DTAC_TLS_CA}: the agent's own certificate (PEM). With it, the plugin pins it: its
 *       server accepts exactly that client certificate (no sibling plugin's, though the same CA
 *       issued theirs), and it calls the broker over TLS, accepting exactly that server
 *       certificate and presenting its own as client certificate.
 * </ul>
 */
public final class TlsEnvironment {
  private TlsEnvironment() {}

  /**
   * What the plugin's server uses: plaintext, TLS, or TLS requiring exactly the client
   * certificate in {@code DTAC_TLS_CA} (the agent's).
   *
   * @throws IllegalArgumentException if only one of the certificate and key is set
   * @throws IOException if a PEM file cannot be read
   */
  public static ServerCredentials serverCredentials(Map<String, String> env) throws IOException {
    String cert = env.getOrDefault(Protocol.ENV_TLS_CERT, "");
    String key = env.getOrDefault(Protocol.ENV_TLS_KEY, "");
    if (cert.isEmpty() && key.isEmpty()) {
      return InsecureServerCredentials.create();
    }
    requireBoth(cert, key);
    TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(pem(cert), pem(key));
    String ca = env.getOrDefault(Protocol.ENV_TLS_CA, "");
    if (!ca.isEmpty()) {
      b.trustManager(AgentPin.read(pem(ca))).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
    }
    return b.build();
  }

  /**
   * What a connection to the broker uses: TLS with a client certificate when the agent set
   * {@code DTAC_TLS_CA}, {@code DTAC_TLS_CERT} and {@code DTAC_TLS_KEY}, accepting exactly the
   * broker certificate in {@code DTAC_TLS_CA} (the agent's); plaintext otherwise.
   *
   * @throws IllegalArgumentException if the CA is set without certificate and key, or a PEM value
   *     cannot be read
   */
  public static ChannelCredentials channelCredentials(Map<String, String> env) {
    String ca = env.getOrDefault(Protocol.ENV_TLS_CA, "");
    if (ca.isEmpty()) {
      return InsecureChannelCredentials.create();
    }
    String cert = env.getOrDefault(Protocol.ENV_TLS_CERT, "");
    String key = env.getOrDefault(Protocol.ENV_TLS_KEY, "");
    if (cert.isEmpty() || key.isEmpty()) {
      throw new IllegalArgumentException(
          Protocol.ENV_TLS_CA + " is set but " + Protocol.ENV_TLS_CERT + " and " + Protocol.ENV_TLS_KEY
              + " are not: the broker requires a client certificate");
    }
    try {
      return TlsChannelCredentials.newBuilder()
          .trustManager(AgentPin.read(pem(ca)))
          .keyManager(pem(cert), pem(key))
          .build();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the TLS settings for the broker: " + e.getMessage(), e);
    }
  }

  private static void requireBoth(String cert, String key) {
    if (cert.isEmpty() || key.isEmpty()) {
      throw new IllegalArgumentException("set both " + Protocol.ENV_TLS_CERT + " and " + Protocol.ENV_TLS_KEY + " for TLS, or neither");
    }
  }

  /** A PEM value given inline or as a path to a file. */
  private static InputStream pem(String value) throws IOException {
    if (value.contains("-----BEGIN")) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.US_ASCII));
    }
    return Files.newInputStream(Path.of(value));
  }
}
