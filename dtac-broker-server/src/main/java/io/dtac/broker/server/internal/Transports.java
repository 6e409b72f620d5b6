package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ServerCredentials;
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
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the broker and its plugins reach each other. On Linux with native epoll, Unix domain
 * sockets in a private directory (mode 0700) that the broker creates and deletes: the broker
 * listens there as well as on TCP, offers the directory to plugins in {@value Protocol#ENV_UNIX_SOCKET_DIR},
 * and a plugin that understands it answers with a {@code unix} handshake. Plugins that do not
 * (the existing Go plugins, or anything launched where epoll is missing) stay on loopback TCP, so
 * the protocol is unchanged for them. A Unix socket skips the TCP stack: about a third less
 * latency per hop on loopback (see docs/BENCHMARKS.md).
 *
 * <p>Thread-safe. {@link #close()} stops the event loop and deletes the directory; idempotent.
 */
public final class Transports implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Transports.class);

  /** Longest socket path the kernel takes (sun_path is 108 bytes with its terminator). */
  public static final int MAX_SOCKET_PATH = 107;
  /** How the broker's socket directories are named (PREFIX + digits), so stale ones can be found. */
  private static final String DIR_PREFIX = "dtac-";

  private final Path socketDir;
  private final EventLoopGroup group;

  private Transports(Path socketDir, EventLoopGroup group) {
    this.socketDir = socketDir;
    this.group = group;
  }

  /** Loopback TCP only. */
  public static Transports tcpOnly() {
    return new Transports(null, null);
  }

  /**
   * Unix domain sockets in a new private directory under {@code parent} (null: the system's
   * temporary directory) when {@code unixSockets} and the platform has epoll; TCP only otherwise,
   * with a log line saying why.
   */
  public static Transports open(boolean unixSockets, Path parent) {
    if (!unixSockets) {
      return tcpOnly();
    }
    if (!Epoll.isAvailable()) {
      LOG.info("plugins connect over loopback TCP: no native epoll here ({})", Epoll.unavailabilityCause().toString());
      return tcpOnly();
    }
    Path dir;
    try {
      Path base = parent == null ? Path.of(System.getProperty("java.io.tmpdir")) : parent;
      removeStale(base);
      dir = Files.createTempDirectory(base, DIR_PREFIX);
    } catch (IOException | RuntimeException e) {
      LOG.warn("plugins connect over loopback TCP: cannot create a socket directory: {}", e.toString());
      return tcpOnly();
    }
    // Room for the plugins' "p<pid>.sock" names.
    if (dir.toAbsolutePath().toString().length() + 16 > MAX_SOCKET_PATH || dir.toString().contains(":")) {
      LOG.warn("plugins connect over loopback TCP: socket directory {} is too long a path or holds ':'", dir);
      deleteTree(dir);
      return tcpOnly();
    }
    // One event-loop thread serves every plugin connection: the broker's per-call work is small,
    // and on a small machine fewer threads means fewer context switches per forwarded call.
    EventLoopGroup group = new EpollEventLoopGroup(1, new DefaultThreadFactory("dtac-broker-uds", true));
    return new Transports(dir.toAbsolutePath(), group);
  }

  /** Whether plugins are offered Unix domain sockets. */
  public boolean unix() {
    return socketDir != null;
  }

  /** The socket directory, while Unix sockets are offered. */
  public Path socketDirectory() {
    return socketDir;
  }

  /** {@code base} plus {@value Protocol#ENV_UNIX_SOCKET_DIR} when Unix sockets are offered. */
  public Map<String, String> pluginEnvironment(Map<String, String> base) {
    Map<String, String> env = new LinkedHashMap<>();
    if (unix()) {
      env.put(Protocol.ENV_UNIX_SOCKET_DIR, socketDir.toString());
    }
    env.putAll(base);
    return Map.copyOf(env);
  }

  /**
   * A server builder for the broker's Unix-socket listener ({@code broker.sock} in the socket
   * directory), on this transport's event loop; null when Unix sockets are not offered.
   */
  public NettyServerBuilder unixServerBuilder(ServerCredentials credentials) {
    if (!unix()) {
      return null;
    }
    return NettyServerBuilder.forAddress(
            new DomainSocketAddress(socketDir.resolve(Protocol.BROKER_SOCKET).toString()), credentials)
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(group)
        .workerEventLoopGroup(group)
        // TCP keep-alive means nothing on a Unix socket; unset, Netty warns on every connection.
        .withChildOption(ChannelOption.SO_KEEPALIVE, null);
  }

  /**
   * Prepares the Unix-socket offer for a plugin that runs as another OS user: a directory of its
   * own inside the socket directory, owned by that user (mode 0700), in which it creates its
   * socket, and the broker's socket made reachable to it (the socket directory becomes 0711:
   * enterable, not listable; {@code broker.sock} 0666). Any process may then connect to the
   * broker's socket, but only the plugins it launched are identified by it (the kernel names the
   * caller), so other users' processes get UNAUTHENTICATED. Sets {@value Protocol#ENV_UNIX_SOCKET_DIR} in
   * {@code env} to the plugin's directory. Does nothing without Unix sockets.
   *
   * @throws IOException if the directory cannot be made or given to the user
   */
  public void offerTo(RunAs account, Map<String, String> env) throws IOException {
    if (!unix()) {
      return;
    }
    Files.setPosixFilePermissions(socketDir, PosixFilePermissions.fromString("rwx--x--x"));
    Path broker = socketDir.resolve(Protocol.BROKER_SOCKET);
    if (Files.exists(broker, LinkOption.NOFOLLOW_LINKS)) {
      Files.setPosixFilePermissions(broker, PosixFilePermissions.fromString("rw-rw-rw-"));
    }
    Path own = Files.createTempDirectory(socketDir, "u" + account.uid() + "-");
    Files.setAttribute(own, "unix:gid", account.gid(), LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(own, "unix:uid", account.uid(), LinkOption.NOFOLLOW_LINKS);
    env.put(Protocol.ENV_UNIX_SOCKET_DIR, own.toString());
  }

  /** The broker address a plugin that connected with {@code info} is given at Register. */
  public String brokerAddressFor(HandshakeParser.ConnectInfo info, String tcpAddress) {
    return info.unix() && unix() ? Protocol.UNIX_ADDRESS_PREFIX + socketDir.resolve(Protocol.BROKER_SOCKET) : tcpAddress;
  }

  /**
   * A channel to the plugin that announced {@code info}, accepting messages up to {@code
   * maxInboundMessageSize} bytes.
   *
   * @throws IllegalArgumentException if the plugin announced a Unix socket outside the directory
   *     it was offered (or none was offered)
   */
  public ManagedChannel dial(
      HandshakeParser.ConnectInfo info, ChannelCredentials credentials, int maxInboundMessageSize) {
    if (!info.unix()) {
      return NettyChannelBuilder.forAddress(info.host(), info.port(), credentials)
          .maxInboundMessageSize(maxInboundMessageSize)
          .build();
    }
    Path socket = Path.of(info.host()).normalize();
    Path parent = socket.getParent();
    if (!unix() || parent == null || !(parent.equals(socketDir) || socketDir.equals(parent.getParent()))) {
      throw new IllegalArgumentException(
          "it announced the Unix socket " + socket + ", but "
              + (unix() ? "the agent offered the directory " + socketDir : "the agent offered none")
              + "; a plugin's socket must be directly in the offered directory");
    }
    return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()), credentials)
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(group)
        .withOption(ChannelOption.SO_KEEPALIVE, null)
        // A socket path is no host name: TLS checks the plugin's certificate for "localhost".
        .overrideAuthority("localhost")
        .maxInboundMessageSize(maxInboundMessageSize)
        .build();
  }

  /** Stops the event loop and deletes the socket directory with anything left in it. */
  @Override
  public void close() {
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
    if (socketDir != null) {
      deleteTree(socketDir);
    }
  }

  /**
   * Deletes the socket directories of brokers that died without closing (killed with SIGKILL):
   * those whose {@code broker.sock} no longer accepts connections. A live broker's directory
   * accepts, and one still being set up has no socket yet; both are left alone.
   */
  static void removeStale(Path base) {
    try (Stream<Path> dirs = Files.list(base)) {
      dirs.filter(d -> d.getFileName().toString().matches(DIR_PREFIX + "\\d+") && Files.isDirectory(d))
          .filter(d -> isSocket(d.resolve(Protocol.BROKER_SOCKET)) && !accepts(d.resolve(Protocol.BROKER_SOCKET)))
          .forEach(d -> {
            LOG.info("removing the socket directory {} of a broker that is gone", d);
            deleteTree(d);
          });
    } catch (IOException | RuntimeException e) {
      LOG.debug("cannot look for stale socket directories in {}: {}", base, e.toString());
    }
  }

  private static boolean isSocket(Path p) {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther();
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean accepts(Path socket) {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          LOG.warn("cannot delete {}: {}", p, e.toString());
        }
      });
    } catch (IOException e) {
      LOG.warn("cannot delete the socket directory {}: {}", dir, e.toString());
    }
  }
}
