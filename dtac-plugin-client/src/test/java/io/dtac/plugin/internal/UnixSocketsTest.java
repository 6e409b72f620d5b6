package io.dtac.plugin.internal;

import io.dtac.core.Protocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin side of the agent's Unix socket offer, over real sockets. */
class UnixSocketsTest {
  @TempDir Path dir;
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

  @Test
  void anOfferedDirectoryGetsTheSocketAndItsHandshakeSaysUnix() throws Exception {
    assumeTrue(Epoll.isAvailable(), "Unix sockets need native epoll");
    Server server =
        UnixSockets.startServer(
            Map.of(Protocol.ENV_UNIX_SOCKET_DIR, dir.toString()),
            InsecureServerCredentials.create(),
            err,
            new HealthStatusManager().getHealthService());
    Path socket = dir.resolve(Protocol.pluginSocket(ProcessHandle.current().pid())).toAbsolutePath();
    ManagedChannel channel = null;
    try {
      assertEquals(new DomainSocketAddress(socket.toString()), server.getListenSockets().get(0));
      assertTrue(Files.exists(socket));
      assertEquals(
          "CONNECT{{P:p:grpc:unix:" + socket + ":0:plug_api_1.0:[tls=false]}}",
          ConnectLine.format("P", "p", server.getListenSockets().get(0), Map.of("tls", "false")));

      channel = UnixSockets.channelBuilder(Protocol.UNIX_ADDRESS_PREFIX + socket, InsecureChannelCredentials.create()).build();
      assertEquals(
          HealthCheckResponse.ServingStatus.SERVING,
          HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()).getStatus());
    } finally {
      if (channel != null) {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    assertFalse(Files.exists(socket), "the socket file is removed when the server stops");
    assertEquals("", errBytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void withoutAnOfferThePluginStaysOnTcpSilently() {
    assertNull(UnixSockets.startServer(Map.of(), InsecureServerCredentials.create(), err));
    assertEquals("", errBytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void anUnusableOfferFallsBackToTcpAndSaysWhy() {
    assumeTrue(Epoll.isAvailable(), "Unix sockets need native epoll");
    String missing = dir.resolve("gone").toString();
    assertNull(
        UnixSockets.startServer(
            Map.of(Protocol.ENV_UNIX_SOCKET_DIR, missing), InsecureServerCredentials.create(), err));
    assertTrue(
        errBytes.toString(StandardCharsets.UTF_8).contains("Unix socket directory " + missing + " is unusable"),
        errBytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aTcpHandshakeNamesTheLoopbackAddressAndPort() {
    assertEquals(
        "CONNECT{{P:p:grpc:tcp:127.0.0.1:4321:plug_api_1.0:[tls=true]}}",
        ConnectLine.format(
            "P", "p", new InetSocketAddress(InetAddress.getLoopbackAddress(), 4321), Map.of("tls", "true")));
  }
}
