package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The server's own behaviour; serving requests over it is pinned by RestGatewayTest. */
class JdkHttpsServerTest {
  @Test
  void aPortInUseSaysWhatToDo() throws Exception {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try (ServerSocket taken = new ServerSocket(0, 1, loopback)) {
      IOException e = assertThrows(IOException.class, () -> JdkHttpsServer.start(
          new InetSocketAddress(loopback, taken.getLocalPort()),
          SelfSignedCertificate.generate(Instant.now()).serverContext(), 1, 0, call -> { }));
      assertTrue(e.getMessage().startsWith("cannot listen on "), e.getMessage());
      assertTrue(e.getMessage().contains(":" + taken.getLocalPort() + " ("), e.getMessage());
      assertTrue(e.getMessage().endsWith("is another agent running? choose another --port, or --port 0"
          + " for a free one"), e.getMessage());
    }
  }

  @Test
  void aFreePortIsChosenForPortZeroAndStopFreesIt() throws Exception {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    JdkHttpsServer server = JdkHttpsServer.start(new InetSocketAddress(loopback, 0),
        SelfSignedCertificate.generate(Instant.now()).serverContext(), 1, 0, call -> { });
    int port = server.port();
    assertTrue(port > 0, "port " + port);
    server.stop();
    try (ServerSocket again = new ServerSocket(port, 1, loopback)) {
      assertTrue(again.isBound());
    }
  }
}
