package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The socket directories of brokers that died are removed; live and unrelated ones are not. */
class TransportsTest {
  @TempDir Path base;

  @Test
  void aDeadBrokersSocketDirectoryIsRemovedAndALiveOneKept() throws Exception {
    Path dead = Files.createDirectory(base.resolve("dtac-111"));
    try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(dead.resolve(Protocol.BROKER_SOCKET)));
    }
    Path live = Files.createDirectory(base.resolve("dtac-222"));
    Path settingUp = Files.createDirectory(base.resolve("dtac-333"));
    Path unrelated = Files.createDirectory(base.resolve("dtac-clone"));
    Files.writeString(unrelated.resolve(Protocol.BROKER_SOCKET), "not a socket");
    try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      s.bind(UnixDomainSocketAddress.of(live.resolve(Protocol.BROKER_SOCKET)));
      Transports.removeStale(base);
      assertFalse(Files.exists(dead), "the dead broker's directory is removed");
      assertTrue(Files.exists(live.resolve(Protocol.BROKER_SOCKET)), "a live broker's directory stays");
      assertTrue(Files.exists(settingUp), "a directory without a socket yet stays");
      assertTrue(Files.exists(unrelated.resolve(Protocol.BROKER_SOCKET)), "other directories stay");
    }
    Files.deleteIfExists(live.resolve(Protocol.BROKER_SOCKET));
  }
}
