package io.dtac.examples;

import io.dtac.core.Protocol;
import io.dtac.core.Action;
import io.dtac.core.Request;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.ByteString;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugins that take the agent's offer of a Unix socket use one; plugins that do not stay on TCP
 * and still reach and are reached through the broker; the socket directory is private to the
 * broker and gone after close.
 */
class UnixSocketTransportIT {
  private static final String CALC =
      "{\"operation\":\"add\",\"a\":5,\"b\":3}";

  @TempDir Path tmp;
  private Path sockets;

  @BeforeEach
  void socketParent() throws IOException {
    assumeTrue(Epoll.isAvailable(), "Unix sockets need native epoll");
    sockets = Files.createDirectories(tmp.resolve("sockets"));
  }

  @Test
  void pluginsConnectOverUnixSocketsInAPrivateDirectoryRemovedOnClose() throws Exception {
    Path dir = ExamplePlugins.copyTo(tmp, "hello.plugin", "calculator.plugin");
    PluginBroker broker = PluginBroker.builder().pluginDirectory(dir).socketDirectory(sockets).build();
    try {
      broker.start();
      Path socketDir = onlyChild(sockets);
      assertEquals(PosixFilePermissions.fromString("rwx------"), Files.getPosixFilePermissions(socketDir),
          "only the agent's user may connect to the sockets");
      assertEquals(
          Stream.of(Protocol.BROKER_SOCKET, socketName(broker, "CalculatorPlugin"), socketName(broker, "HelloPlugin"))
              .sorted().collect(Collectors.toList()),
          list(socketDir));
      assertTrue(calculateViaHello(broker).contains("\"callee_plugin\":\"HelloPlugin\""));
    } finally {
      broker.close();
    }
    assertEquals(List.of(), list(sockets), "close() removes the socket directory");
  }

  @Test
  void aPluginThatDoesNotTakeTheOfferStaysOnTcpAndStillCallsThroughTheBroker() throws Exception {
    Path dir = ExamplePlugins.copyTo(tmp, "hello.plugin");
    // The calculator as an existing plugin would behave: it never hears of the offer.
    Files.copy(ExamplePlugins.dir().resolve("calculator.plugin"), dir.resolve("calculator.sh"),
        java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    ExamplePlugins.script(dir, "calculator.plugin",
        "unset DTAC_UNIX_SOCKET_DIR\nexec \"$(dirname \"$0\")/calculator.sh\" \"$@\"");
    try (PluginBroker broker =
        PluginBroker.builder().pluginDirectory(dir).socketDirectory(sockets).build().start()) {
      assertEquals(PluginState.RUNNING, broker.plugin("CalculatorPlugin").orElseThrow().state());
      assertEquals(
          List.of(Protocol.BROKER_SOCKET, socketName(broker, "HelloPlugin")), list(onlyChild(sockets)),
          "hello took the offer, the calculator did not");
      assertTrue(calculateViaHello(broker).contains("\"callee_plugin\":\"HelloPlugin\""),
          "calculator (TCP) -> broker -> hello (Unix socket) works");
    }
  }

  @Test
  void withUnixSocketsOffEverythingIsTcp() throws Exception {
    Path dir = ExamplePlugins.copyTo(tmp, "hello.plugin", "calculator.plugin");
    try (PluginBroker broker =
        PluginBroker.builder().pluginDirectory(dir).socketDirectory(sockets).unixSockets(false).build().start()) {
      assertEquals(List.of(), list(sockets), "no socket directory");
      assertTrue(calculateViaHello(broker).contains("\"callee_plugin\":\"HelloPlugin\""));
    }
  }

  @Test
  void aSocketOutsideTheOfferedDirectoryIsRefused() throws Exception {
    Path dir = ExamplePlugins.copyTo(tmp, "hello.plugin");
    ExamplePlugins.script(dir, "elsewhere.plugin",
        "echo 'CONNECT{{Elsewhere:elsewhere:grpc:unix:/tmp/not-offered.sock:0:plug_api_1.0:[tls=false]}}'; sleep 30");
    try (PluginBroker broker =
        PluginBroker.builder().pluginDirectory(dir).socketDirectory(sockets).build().start()) {
      PluginInfo refused = broker.plugin("Elsewhere").orElseThrow();
      assertEquals(PluginState.FAILED, refused.state());
      assertTrue(refused.failure().orElseThrow().contains(
          "announced the Unix socket /tmp/not-offered.sock, but the agent offered the directory"),
          refused.toString());
      assertEquals(PluginState.RUNNING, broker.plugin("HelloPlugin").orElseThrow().state());
    }
  }

  private static String calculateViaHello(PluginBroker broker) throws Exception {
    return broker.call("CalculatorPlugin", "calculate_via_hello", Action.CREATE,
            Request.builder().body(CALC).build())
        .valueAsString();
  }

  private static String socketName(PluginBroker broker, String plugin) throws Exception {
    return Protocol.pluginSocket(broker.plugin(plugin).orElseThrow().pid().orElseThrow());
  }

  private static Path onlyChild(Path dir) throws IOException {
    List<String> children = list(dir);
    assertEquals(1, children.size(), "one socket directory: " + children);
    return dir.resolve(children.get(0));
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }
}
