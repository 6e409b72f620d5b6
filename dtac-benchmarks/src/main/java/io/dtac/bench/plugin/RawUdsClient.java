package io.dtac.bench.plugin;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The caller's side of the floor ({@link RawUdsEcho}): a pool of connections to one echo server,
 * each used by one call at a time, kept open for the process's life like a gRPC channel. A round
 * trip writes one frame and reads the echo, with no copy but the socket's own.
 */
final class RawUdsClient {
  private final UnixDomainSocketAddress address;
  private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();

  RawUdsClient(String socketPath) {
    this.address = UnixDomainSocketAddress.of(Path.of(socketPath));
  }

  /** One round trip of {@code payloadBytes} bytes each way; throws if the echo is not whole. */
  void roundTrip(int payloadBytes) throws IOException {
    Connection c = idle.poll();
    if (c == null) {
      c = new Connection(SocketChannel.open(StandardProtocolFamily.UNIX));
      c.channel.connect(address);
    }
    try {
      c.roundTrip(payloadBytes);
    } catch (IOException | RuntimeException e) {
      c.channel.close();
      throw e;
    }
    idle.offer(c);
  }

  private static final class Connection {
    final SocketChannel channel;
    ByteBuffer out = ByteBuffer.allocateDirect(4);
    ByteBuffer in = ByteBuffer.allocateDirect(4);

    Connection(SocketChannel channel) {
      this.channel = channel;
    }

    void roundTrip(int payloadBytes) throws IOException {
      if (out.capacity() < 4 + payloadBytes) {
        out = ByteBuffer.allocateDirect(4 + payloadBytes);
        in = ByteBuffer.allocateDirect(4 + payloadBytes);
      }
      out.clear().limit(4 + payloadBytes);
      out.putInt(0, payloadBytes);
      RawUdsEcho.writeFully(channel, out);
      in.clear().limit(4 + payloadBytes);
      if (!RawUdsEcho.readFully(channel, in) || in.getInt(0) != payloadBytes) {
        throw new IOException("the floor's echo server answered a short or wrong frame");
      }
    }
  }
}
