package io.dtac.examples.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The server's own behaviour over real sockets and real TLS: what it bounds (time to headers and
 * body, silence, connections in all and per address), what it answers itself (JSON), and that it
 * stops whole. Serving the gateway's routes over it is pinned by RestGatewayTest.
 */
class JettyHttpsServerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SelfSignedCertificate CERT = SelfSignedCertificate.generate(Instant.now());
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private final List<Socket> sockets = new ArrayList<>();
  private JettyHttpsServer server;

  @AfterEach
  void stop() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (server != null) {
      server.stop();
    }
  }

  private JettyHttpsServer start(GatewayLimits limits, Consumer<HttpCall> handler) throws IOException {
    server = JettyHttpsServer.start(new InetSocketAddress(LOOPBACK, 0), CERT.serverContext(), limits, handler);
    return server;
  }

  /** Reads the whole body (under the body limit) and answers 200 with its size, or the error. */
  private static void echoSize(HttpCall call) {
    try {
      byte[] body = new RequestBody(1 << 20).read(call);
      ResponseWriter.send(call, 200, "text/plain", String.valueOf(body.length).getBytes(StandardCharsets.UTF_8));
    } catch (HttpError e) {
      ResponseWriter.error(call, e);
    }
  }

  private static HttpClient client() {
    return HttpClient.newBuilder()
        .sslContext(SelfSignedCertificate.trusting(CERT.certificate()))
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client().send(HttpRequest.newBuilder(URI.create("https://localhost:" + server.port() + path))
        .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private Socket tcp(InetAddress from) throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    if (from != null) {
      s.bind(new InetSocketAddress(from, 0));
    }
    s.connect(new InetSocketAddress(LOOPBACK, server.port()), 10_000);
    s.setSoTimeout(100);
    return s;
  }

  private SSLSocket tls() throws IOException {
    SSLContext trust = SelfSignedCertificate.trusting(CERT.certificate());
    SSLSocket s = (SSLSocket) trust.getSocketFactory().createSocket(LOOPBACK, server.port());
    sockets.add(s);
    s.setSoTimeout(10_000);
    s.startHandshake();
    s.setSoTimeout(100);
    return s;
  }

  private static String exchange(SSLSocket s, String request) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write(request.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    s.setSoTimeout(20_000);
    ByteArrayOutputStream answer = new ByteArrayOutputStream();
    try {
      s.getInputStream().transferTo(answer);
    } catch (SSLException | SocketException e) {
      // The server closed the connection after its answer; what came before is the answer.
    }
    return answer.toString(StandardCharsets.ISO_8859_1);
  }

  private static JsonNode jsonBody(String rawAnswer) throws IOException {
    return JSON.readTree(rawAnswer.substring(rawAnswer.indexOf("\r\n\r\n") + 4));
  }

  private static GatewayLimits.Builder limits() {
    return GatewayLimits.builder().threads(2);
  }

  @Test
  void aPortInUseSaysWhatToDo() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, LOOPBACK)) {
      IOException e = assertThrows(IOException.class, () -> JettyHttpsServer.start(
          new InetSocketAddress(LOOPBACK, taken.getLocalPort()), CERT.serverContext(),
          GatewayLimits.defaults(), call -> { }));
      assertTrue(e.getMessage().startsWith("cannot listen on "), e.getMessage());
      assertTrue(e.getMessage().contains(":" + taken.getLocalPort() + " ("), e.getMessage());
      assertTrue(e.getMessage().endsWith("is another agent running? choose another --port, or --port 0"
          + " for a free one"), e.getMessage());
    }
    assertNoGatewayThreadIsLeft();
  }

  @Test
  void aFreePortIsChosenForPortZeroAndStopFreesItAndEndsEveryThread() throws Exception {
    start(limits().build(), JettyHttpsServerTest::echoSize);
    int port = server.port();
    assertTrue(port > 0, "port " + port);
    assertEquals(200, get("/x").statusCode());
    server.stop();
    server = null;
    try (ServerSocket again = new ServerSocket(port, 1, LOOPBACK)) {
      assertTrue(again.isBound());
    }
    assertNoGatewayThreadIsLeft();
  }

  private static void assertNoGatewayThreadIsLeft() {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertEquals(List.of(),
        Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
            .map(Thread::getName).filter(n -> n.startsWith("dtac-gateway")).toList()));
  }

  @Test
  void halfOpenTlsConnectionsHoldNoThreadAndAreClosedAfterTheHeaderTimeout() throws Exception {
    start(limits().headerTimeout(Duration.ofSeconds(1)).build(), JettyHttpsServerTest::echoSize);
    List<Socket> halfOpen = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Socket s = tcp(null);
      SlowClients.sendHalfAClientHello(s);
      halfOpen.add(s);
    }
    // Twenty half-open handshakes on a server of two request threads: it still answers.
    assertEquals(200, get("/x").statusCode());
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      for (Socket s : halfOpen) {
        assertTrue(SlowClients.closedByServer(s), "a half-open connection is still open");
      }
    });
    assertTrue(server.guard().headerTimeouts() >= 20, "header timeouts: " + server.guard().headerTimeouts());
  }

  @Test
  void requestHeadersThatNeverEndAreClosedAfterTheHeaderTimeout() throws Exception {
    start(limits().headerTimeout(Duration.ofSeconds(1)).build(), JettyHttpsServerTest::echoSize);
    SSLSocket s = tls();
    SlowClients.sendHeadersThatNeverEnd(s);
    await().atMost(Duration.ofSeconds(20)).until(() -> SlowClients.closedByServer(s));
  }

  @Test
  void aKeptAliveConnectionWithoutANewRequestIsClosedAfterTheHeaderTimeout() throws Exception {
    start(limits().headerTimeout(Duration.ofSeconds(1)).build(), JettyHttpsServerTest::echoSize);
    SSLSocket s = tls();
    s.getOutputStream().write("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    s.setSoTimeout(20_000);
    byte[] head = s.getInputStream().readNBytes(15);
    assertEquals("HTTP/1.1 200 OK", new String(head, StandardCharsets.US_ASCII));
    s.setSoTimeout(100);
    await().atMost(Duration.ofSeconds(20)).until(() -> SlowClients.closedByServer(s));
  }

  @Test
  void aBodyThatDoesNotArriveWithinTheRequestTimeoutIs408AndClosesTheConnection() throws Exception {
    start(limits().headerTimeout(Duration.ofSeconds(1)).requestTimeout(Duration.ofSeconds(1)).build(),
        JettyHttpsServerTest::echoSize);
    String answer = exchange(tls(),
        "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n" + "x".repeat(10));
    assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
    assertTrue(answer.contains("\r\nConnection: close\r\n"), answer);
    JsonNode body = jsonBody(answer);
    assertEquals(408, body.get("status").asInt());
    assertTrue(body.get("error").asText().contains("request_timeout"), body.toString());
  }

  @Test
  void aBodyThatStopsForLongerThanTheIdleTimeoutIs408() throws Exception {
    start(limits().idleTimeout(Duration.ofMillis(500)).build(), JettyHttpsServerTest::echoSize);
    String answer = exchange(tls(),
        "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n" + "x".repeat(10));
    assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
    assertTrue(jsonBody(answer).get("error").asText().contains("idle_timeout"), answer);
  }

  @Test
  void theIdleTimeoutDoesNotCutAHandlerThatIsStillWorking() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    start(limits().idleTimeout(Duration.ofMillis(300)).build(), call -> {
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ResponseWriter.send(call, 200, "text/plain", "late".getBytes(StandardCharsets.UTF_8));
    });
    var answer = client().sendAsync(HttpRequest.newBuilder(URI.create("https://localhost:" + server.port() + "/x"))
        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    long start = System.nanoTime();
    // The handler works (as on a slow plugin) for several idle timeouts before it answers.
    await().atMost(Duration.ofSeconds(10)).until(() -> System.nanoTime() - start > TimeUnit.SECONDS.toNanos(1));
    release.countDown();
    HttpResponse<String> r = answer.get(20, TimeUnit.SECONDS);
    assertEquals(200, r.statusCode());
    assertEquals("late", r.body());
  }

  @Test
  void connectionsFromOneAddressOverItsLimitAreClosedAtOnceAndOthersAreServed() throws Exception {
    InetAddress other = InetAddress.getByName("127.0.0.2");
    assumeTrue(canConnectFrom(other), "cannot connect from 127.0.0.2 here");
    start(limits().maxConnectionsPerClient(3).build(), JettyHttpsServerTest::echoSize);
    List<Socket> fromOther = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      fromOther.add(tcp(other));
    }
    // Connections are taken up on several threads: which one of the four is refused is not known.
    await().atMost(Duration.ofSeconds(10)).until(() -> server.guard().refusedConnections() == 1);
    Socket refused = fromOther.stream().filter(SlowClients::closedByServer).findFirst().orElseThrow();
    fromOther.remove(refused);
    for (Socket s : fromOther) {
      assertFalse(SlowClients.closedByServer(s), "a connection within the limit was closed");
    }
    assertEquals(3, server.guard().connectionsFrom(other));
    assertEquals(200, get("/x").statusCode());
    fromOther.get(0).close();
    await().atMost(Duration.ofSeconds(10)).until(() -> server.guard().connectionsFrom(other) == 2);
    Socket again = tcp(other);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.guard().connectionsFrom(other) == 3);
    assertFalse(SlowClients.closedByServer(again), "a connection within the limit again was closed");
    assertEquals(1, server.guard().refusedConnections());
  }

  private boolean canConnectFrom(InetAddress from) {
    try (Socket probe = new Socket()) {
      probe.bind(new InetSocketAddress(from, 0));
      probe.connect(new InetSocketAddress(LOOPBACK, 1), 1000);
      return true;
    } catch (java.net.ConnectException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void atTheConnectionLimitANewConnectionWaitsUntilOneCloses() throws Exception {
    start(limits().maxConnections(2).maxConnectionsPerClient(2).build(), JettyHttpsServerTest::echoSize);
    Socket first = tcp(null);
    Socket second = tcp(null);
    SlowClients.sendHalfAClientHello(first);
    SlowClients.sendHalfAClientHello(second);
    SSLContext trust = SelfSignedCertificate.trusting(CERT.certificate());
    SSLSocket third = (SSLSocket) trust.getSocketFactory().createSocket(LOOPBACK, server.port());
    sockets.add(third);
    third.setSoTimeout(1000);
    // The kernel completes the TCP handshake; the server does not take the connection up.
    assertThrows(SocketTimeoutException.class, third::startHandshake);
    first.close();
    third.setSoTimeout(20_000);
    String answer = exchange(third, "GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
  }

  @Test
  void anAnswerBeforeABodyHasArrivedWholeClosesTheConnectionAndSaysSo() throws Exception {
    // A route that refuses without reading the body (a 401, say): the client must not be promised
    // a connection that the server then closes under its next request.
    start(limits().build(), call -> ResponseWriter.send(call, 401, "text/plain", new byte[] {'n'}));
    String partial = exchange(tls(),
        "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n" + "x".repeat(10));
    assertTrue(partial.startsWith("HTTP/1.1 401 "), partial);
    assertTrue(partial.contains("\r\nConnection: close\r\n"), partial);
    SSLSocket whole = tls();
    String two = exchange(whole, "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"
        + "GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    assertEquals(2, two.split("HTTP/1.1 401 ", -1).length - 1, "both requests answered on one connection: " + two);
  }

  @Test
  void refusalsOfTheServerItselfAreJson() throws Exception {
    start(limits().build(), JettyHttpsServerTest::echoSize);
    String tooLarge = exchange(tls(), "GET /x HTTP/1.1\r\nHost: localhost\r\nX-Big: "
        + "a".repeat(JettyHttpsServer.MAX_REQUEST_HEADER_BYTES) + "\r\n\r\n");
    assertTrue(tooLarge.startsWith("HTTP/1.1 431 "), tooLarge);
    assertTrue(tooLarge.contains("\r\nContent-Type: application/json\r\n"), tooLarge);
    assertTrue(tooLarge.contains("\r\nX-Content-Type-Options: nosniff\r\n"), tooLarge);
    JsonNode body = jsonBody(tooLarge);
    assertEquals(431, body.get("status").asInt());
    assertTrue(body.get("error").asText().contains("at most 8192 bytes"), body.toString());

    String ambiguous = exchange(tls(), "GET /plugins/%2e%2e/admin HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assertTrue(ambiguous.startsWith("HTTP/1.1 400 "), ambiguous);
    assertEquals(400, jsonBody(ambiguous).get("status").asInt());

    String garbage = exchange(tls(), "HELLO\r\n\r\n");
    assertTrue(garbage.startsWith("HTTP/1.1 400 "), garbage);
    assertEquals(400, jsonBody(garbage).get("status").asInt());
    assertEquals(200, get("/x").statusCode());
  }

  @Test
  void aResponseHeaderWithALineBreakOrANameThatIsNoTokenIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> JettyHttpCall.checkHeader("X-A", "a\r\nSet-Cookie: x"));
    assertThrows(IllegalArgumentException.class, () -> JettyHttpCall.checkHeader("X-A", "a\nb"));
    assertThrows(IllegalArgumentException.class, () -> JettyHttpCall.checkHeader("X A", "a"));
    assertThrows(IllegalArgumentException.class, () -> JettyHttpCall.checkHeader("X-A\r\nB", "a"));
    assertThrows(IllegalArgumentException.class, () -> JettyHttpCall.checkHeader("", "a"));
    JettyHttpCall.checkHeader("X-Plugin", "a\tb, c=\"d\"");
  }
}
