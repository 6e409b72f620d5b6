package io.dtac.bench.plugin;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The floor of every scenario: a raw Unix-domain-socket echo server, no gRPC, no protobuf, its own
 * JVM. A frame is a 4-byte big-endian length and that many bytes; the server answers each frame
 * with the same frame. One thread per connection, blocking reads and writes (a caller keeps one
 * connection per call in flight, so 64 in flight is 64 connections). The length {@link #CPU_QUERY}
 * asks instead for this process's CPU time (8 bytes, nanoseconds, compilers excluded).
 *
 * <p>{@code java ... RawUdsEcho DIR} listens on {@code DIR/floor.sock}, prints {@code
 * unix:DIR/floor.sock} on stdout once it accepts connections, and exits when stdin closes (its
 * driver ended) after removing the socket file.
 */
public final class RawUdsEcho {
  /** The frame length that asks for the server's CPU time instead of an echo. */
  public static final int CPU_QUERY = -1;

  private RawUdsEcho() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: RawUdsEcho DIR");
      System.exit(2);
    }
    Path socket = Path.of(args[0]).toAbsolutePath().resolve("floor.sock");
    Files.deleteIfExists(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Thread acceptor = new Thread(() -> accept(server), "floor-accept");
    acceptor.setDaemon(true);
    acceptor.start();
    System.out.println(io.dtac.core.Protocol.UNIX_ADDRESS_PREFIX + socket);
    System.out.flush();
    // Until the driver closes our stdin (or dies): then no caller is left.
    while (System.in.read() >= 0) {
      // nothing else comes on stdin
    }
    server.close();
    Files.deleteIfExists(socket);
    System.exit(0);
  }

  private static void accept(ServerSocketChannel server) {
    while (server.isOpen()) {
      try {
        SocketChannel c = server.accept();
        Thread t = new Thread(() -> serve(c), "floor-echo");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void serve(SocketChannel c) {
    ByteBuffer header = ByteBuffer.allocateDirect(4);
    ByteBuffer body = ByteBuffer.allocateDirect(4);
    try (c) {
      while (true) {
        header.clear();
        if (!readFully(c, header)) {
          return;
        }
        int length = header.getInt(0);
        if (length == CPU_QUERY) {
          ByteBuffer cpu = ByteBuffer.allocate(8).putLong(0, ProcessCpu.nanos());
          writeFully(c, cpu);
          continue;
        }
        if (length < 0) {
          return;
        }
        if (body.capacity() < 4 + length) {
          body = ByteBuffer.allocateDirect(4 + length);
        }
        body.clear().limit(4 + length);
        body.putInt(0, length).position(4);
        if (!readFully(c, body)) {
          return;
        }
        body.flip();
        writeFully(c, body);
      }
    } catch (IOException e) {
      // the caller went away
    }
  }

  /** Fills {@code b}; false at end of stream. */
  static boolean readFully(SocketChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (c.read(b) < 0) {
        return false;
      }
    }
    return true;
  }

  static void writeFully(SocketChannel c, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      c.write(b);
    }
  }
}
