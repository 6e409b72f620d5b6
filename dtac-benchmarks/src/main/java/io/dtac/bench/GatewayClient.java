package io.dtac.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Calls the example agent's REST gateway as a user does: a bearer token from {@code dtac token}
 * (the same {@code DTAC_HOME}), HTTPS trusting the agent's self-signed certificate only.
 */
final class GatewayClient {
  private final HttpClient http;
  private final String token;

  private GatewayClient(HttpClient http, String token) {
    this.http = http;
    this.token = token;
  }

  /** For the agents that use {@code home}; runs {@code dtac token} once (with this JVM). */
  static GatewayClient forHome(Path benchDir, Path home) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
        "-cp", ExamplePlugins.agentClasspath(benchDir), "io.dtac.examples.agent.ExampleAgent", "token");
    pb.environment().put("DTAC_HOME", home.toString());
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    String token = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || token.isEmpty()) {
      p.destroyForcibly();
      throw new IOException("dtac token failed (exit " + (p.isAlive() ? "none" : p.exitValue()) + ")");
    }
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (InputStream pem = Files.newInputStream(home.resolve("tls").resolve("cert.pem"))) {
        trust.setCertificateEntry("agent", CertificateFactory.getInstance("X.509").generateCertificate(pem));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, tmf.getTrustManagers(), null);
      HttpClient http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
      return new GatewayClient(http, token);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot trust the agent's certificate in " + home, e);
    }
  }

  /**
   * Makes {@code call} ("METHOD /path [body]") {@code times} times against the agent at {@code
   * port}; throws unless every answer is 200.
   */
  void call(int port, String call, int times) throws IOException, InterruptedException {
    List<String> parts = List.of(call.split(" ", 3));
    HttpRequest.BodyPublisher body = parts.size() > 2
        ? HttpRequest.BodyPublishers.ofString(parts.get(2)) : HttpRequest.BodyPublishers.noBody();
    HttpRequest request = HttpRequest.newBuilder(URI.create("https://localhost:" + port + parts.get(1)))
        .method(parts.get(0), body)
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(30))
        .build();
    for (int i = 0; i < times; i++) {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException(call + " answered " + r.statusCode() + ": " + r.body());
      }
    }
  }
}
