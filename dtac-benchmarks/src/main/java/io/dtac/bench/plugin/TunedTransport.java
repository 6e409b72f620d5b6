package io.dtac.bench.plugin;

import io.dtac.core.Protocol;
import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The best one hop this machine gives: a Unix domain socket through native epoll when available
 * (plaintext TCP on loopback otherwise), and no executor hop on either side (handlers and
 * callbacks run on the event loop; safe here because the benchmark's handlers never block).
 */
final class TunedTransport {
  private static volatile EventLoopGroup epollGroup;

  private TunedTransport() {}

  /** A listening tuned server and where it listens ("unix:PATH" or "127.0.0.1:PORT"). */
  static final class Listener implements AutoCloseable {
    private final Server server;
    private final String address;
    private final Path socketDir;

    private Listener(Server server, String address, Path socketDir) {
      this.server = server;
      this.address = address;
      this.socketDir = socketDir;
    }

    String address() {
      return address;
    }

    /** Stops the server and removes its socket file and directory. Idempotent. */
    @Override
    public void close() {
      server.shutdownNow();
      try {
        server.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (socketDir != null) {
        try {
          Files.deleteIfExists(socketDir.resolve("s.sock"));
          Files.deleteIfExists(socketDir);
        } catch (IOException ignored) {
          // a temp directory left behind is harmless; the process is exiting
        }
      }
    }
  }

  static Listener listen(BindableService service) throws IOException {
    if (Epoll.isAvailable()) {
      Path dir = Files.createTempDirectory("dtac-bench-");
      Path socket = dir.resolve("s.sock");
      Server server =
          NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()), InsecureServerCredentials.create())
              .channelType(EpollServerDomainSocketChannel.class)
              .bossEventLoopGroup(group())
              .workerEventLoopGroup(group())
              .withChildOption(ChannelOption.SO_KEEPALIVE, null)
              .directExecutor()
              .addService(service)
              .build()
              .start();
      return new Listener(server, Protocol.UNIX_ADDRESS_PREFIX + socket, dir);
    }
    Server server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), InsecureServerCredentials.create())
            .directExecutor()
            .addService(service)
            .build()
            .start();
    return new Listener(
        server, "127.0.0.1:" + ((InetSocketAddress) server.getListenSockets().get(0)).getPort(), null);
  }

  static ManagedChannel dial(String address) {
    if (address.startsWith(Protocol.UNIX_ADDRESS_PREFIX)) {
      return NettyChannelBuilder.forAddress(
              new DomainSocketAddress(address.substring(Protocol.UNIX_ADDRESS_PREFIX.length())), InsecureChannelCredentials.create())
          .channelType(EpollDomainSocketChannel.class)
          .eventLoopGroup(group())
          .withOption(ChannelOption.SO_KEEPALIVE, null)
          .directExecutor()
          .build();
    }
    return Grpc.newChannelBuilder(address, InsecureChannelCredentials.create()).directExecutor().build();
  }

  private static EventLoopGroup group() {
    EventLoopGroup g = epollGroup;
    if (g == null) {
      synchronized (TunedTransport.class) {
        if (epollGroup == null) {
          epollGroup = new EpollEventLoopGroup(0, new DefaultThreadFactory("bench-epoll", true));
        }
        g = epollGroup;
      }
    }
    return g;
  }
}
