package io.dtac.plugin.internal;

import io.dtac.core.Protocol;
import io.grpc.BindableService;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The plugin side of the agent's offer of Unix domain sockets: when the agent sets {@value
 * Protocol#ENV_UNIX_SOCKET_DIR} and this platform has native epoll, the plugin listens on
 * {@code DIR/p<pid>.sock} and announces {@code unix} in its handshake; otherwise (an agent that
 * offers nothing, such as the Go agent, or any failure) it stays on loopback TCP.
 */
public final class UnixSockets {
  private static final int MAX_SOCKET_PATH = 107;

  private static EventLoopGroup group;

  private UnixSockets() {}

  /**
   * Starts a server on a Unix socket in the offered directory, or returns null (after saying why
   * on {@code err} when the agent offered one) so that the caller listens on TCP instead. The
   * services run on the transport thread: they must hand blocking work to threads of their own.
   */
  public static Server startServer(
      Map<String, String> env, ServerCredentials credentials, PrintStream err, BindableService... services) {
    return startServer(env, credentials, err, null, services);
  }

  /** Like {@link #startServer(Map, ServerCredentials, PrintStream, BindableService...)}, every call passing {@code interceptor} (null: none). */
  public static Server startServer(
      Map<String, String> env,
      ServerCredentials credentials,
      PrintStream err,
      ServerInterceptor interceptor,
      BindableService... services) {
    String offered = env.getOrDefault(Protocol.ENV_UNIX_SOCKET_DIR, "");
    if (offered.isEmpty()) {
      return null;
    }
    if (!Epoll.isAvailable()) {
      err.println("Unix sockets offered, but no native epoll here; listening on TCP");
      return null;
    }
    Path socket = Path.of(offered).resolve(Protocol.pluginSocket(ProcessHandle.current().pid())).toAbsolutePath();
    String path = socket.toString();
    if (path.length() > MAX_SOCKET_PATH || path.contains(":") || !Files.isDirectory(socket.getParent())) {
      err.println("Unix socket directory " + offered + " is unusable; listening on TCP");
      return null;
    }
    try {
      Files.deleteIfExists(socket);
      NettyServerBuilder b =
          NettyServerBuilder.forAddress(new DomainSocketAddress(path), credentials)
              .channelType(EpollServerDomainSocketChannel.class)
              .bossEventLoopGroup(group())
              .workerEventLoopGroup(group())
              // TCP keep-alive means nothing on a Unix socket; unset, Netty warns on every connection.
              .withChildOption(ChannelOption.SO_KEEPALIVE, null)
              .directExecutor();
      for (BindableService s : services) {
        b.addService(s);
      }
      if (interceptor != null) {
        b.intercept(interceptor);
      }
      return b.build().start();
    } catch (IOException | RuntimeException e) {
      err.println("cannot listen on Unix socket " + path + " (" + e + "); listening on TCP");
      return null;
    }
  }

  /**
   * A channel builder for {@code target}: grpc's own for "unix:PATH" targets, minus the TCP
   * keep-alive option that Netty would warn about on every connection, and with "localhost" as
   * the authority a TLS certificate is checked against.
   */
  public static ManagedChannelBuilder<?> channelBuilder(String target, ChannelCredentials credentials) {
    ManagedChannelBuilder<?> b = Grpc.newChannelBuilder(target, credentials);
    if (target.startsWith(Protocol.UNIX_ADDRESS_PREFIX) && b instanceof NettyChannelBuilder) {
      ((NettyChannelBuilder) b).withOption(ChannelOption.SO_KEEPALIVE, null);
      // A socket path is no host name: TLS checks the agent's certificate for "localhost".
      b.overrideAuthority("localhost");
    }
    return b;
  }

  /** One I/O thread for the plugin's server: its handlers run on executor threads anyway. */
  private static synchronized EventLoopGroup group() {
    if (group == null) {
      group = new EpollEventLoopGroup(1, new DefaultThreadFactory("dtac-plugin-uds", true));
    }
    return group;
  }
}
