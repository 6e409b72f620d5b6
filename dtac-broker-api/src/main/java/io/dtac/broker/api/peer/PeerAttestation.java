package io.dtac.broker.api.peer;

import io.grpc.Attributes;
import io.grpc.ChannelCredentials;
import io.grpc.ServerCall;
import io.grpc.ServerCredentials;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiationEvent;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.ProtocolNegotiationEvent;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.PeerCredentials;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Asks the kernel which process is at the other end of each gRPC connection, once per
 * connection, before any call on it runs.
 *
 * <p>Servers: {@link #server} wraps the server's credentials (plaintext or TLS) so that every
 * call on a connection carries the peer in its attributes ({@link #peer(ServerCall)}); the
 * server's interceptor decides what the peer may do. Clients: {@link #client} wraps channel
 * credentials so that a connection whose server is not the expected process fails before a call
 * is sent (UNAVAILABLE, naming both processes).
 *
 * <p>On a Unix domain socket the peer comes from {@code SO_PEERCRED} (pid and uid, recorded by
 * the kernel at connect time); on loopback TCP from {@link TcpSocketOwner}, searching the
 * candidate processes the caller supplies. This hooks into grpc-java's Netty transport through
 * its {@code Internal*} protocol-negotiator API (grpc-java issue 2646), the documented way to
 * reach the connection's channel.
 */
public final class PeerAttestation {
  /** The transport attribute holding the connection's {@link Peer}. */
  public static final Attributes.Key<Peer> PEER = Attributes.Key.create("dtac-peer-process");

  /** What a client accepts as its server. Called on a transport thread: it must not block. */
  @FunctionalInterface
  public interface PeerCheck {
    /**
     * Decides on the server process of a new connection.
     *
     * @param peer the process the kernel names as the server (possibly {@linkplain Peer#known()
     *     unknown})
     * @return null to accept the connection, else the reason to refuse it, for the caller's
     *     UNAVAILABLE status
     */
    String refusal(Peer peer);
  }

  private PeerAttestation() {}

  /**
   * Server credentials that record the peer process of every connection in the {@link #PEER}
   * attribute of its calls. They refuse nothing themselves: the server's interceptor decides.
   *
   * @param inner the credentials the connection uses otherwise (plaintext or TLS)
   * @param tcpCandidates the processes a TCP peer may be (searched in order), asked per connection
   * @return credentials for {@code NettyServerBuilder}; other transports do not support them
   */
  public static ServerCredentials server(ServerCredentials inner, Supplier<Collection<Long>> tcpCandidates) {
    InternalProtocolNegotiator.ServerFactory factory = InternalNettyServerCredentials.toNegotiator(inner);
    return InternalNettyServerCredentials.create(
        (InternalProtocolNegotiator.ServerFactory) pool ->
            new Negotiator(factory.newNegotiator(pool), channel -> find(channel, tcpCandidates, false), null));
  }

  /**
   * Channel credentials that refuse a connection whose server process {@code check} refuses: the
   * connection fails with UNAVAILABLE, naming the process, before a call is sent on it.
   *
   * @param inner the credentials the connection uses otherwise (plaintext or TLS)
   * @param tcpCandidates the processes a TCP server may be (searched in order), asked per connection
   * @param check what the client accepts as its server
   * @return credentials for Netty channels; other transports do not support them
   */
  public static ChannelCredentials client(
      ChannelCredentials inner, Supplier<Collection<Long>> tcpCandidates, PeerCheck check) {
    InternalProtocolNegotiator.ClientFactory factory = InternalNettyChannelCredentials.toNegotiator(inner);
    return InternalNettyChannelCredentials.create(
        new InternalProtocolNegotiator.ClientFactory() {
          @Override
          public InternalProtocolNegotiator.ProtocolNegotiator newNegotiator() {
            return new Negotiator(factory.newNegotiator(), channel -> find(channel, tcpCandidates, true), check);
          }

          @Override
          public int getDefaultPort() {
            return factory.getDefaultPort();
          }
        });
  }

  /**
   * The peer process of a call's connection.
   *
   * @param call a call on a server built with {@link #server} credentials
   * @return the peer, or null if the server does not attest peers
   */
  public static Peer peer(ServerCall<?, ?> call) {
    return call.getAttributes().get(PEER);
  }

  /**
   * The peer of a connected channel: its Unix socket credentials, or the owner of its TCP socket
   * (for a client: of the server's listening socket).
   */
  static Peer find(Channel channel, Supplier<Collection<Long>> tcpCandidates, boolean client) {
    if (channel instanceof EpollDomainSocketChannel) {
      try {
        PeerCredentials c = ((EpollDomainSocketChannel) channel).peerCredentials();
        return c.pid() > 0
            ? new Peer(c.pid(), c.uid(), Peer.UNIX, null)
            : Peer.unknown(Peer.UNIX, "the kernel reported no process for this socket");
      } catch (IOException | RuntimeException e) {
        return Peer.unknown(Peer.UNIX, "cannot read the socket's peer credentials: " + e.getMessage());
      }
    }
    if (channel.localAddress() instanceof InetSocketAddress && channel.remoteAddress() instanceof InetSocketAddress) {
      InetSocketAddress self = (InetSocketAddress) channel.localAddress();
      InetSocketAddress peer = (InetSocketAddress) channel.remoteAddress();
      if (!peer.getAddress().isLoopbackAddress()) {
        return Peer.unknown(Peer.TCP, "the connection comes from " + peer + ", not from this host's loopback");
      }
      return client
          ? TcpSocketOwner.findListener(peer, tcpCandidates.get())
          : TcpSocketOwner.find(self, peer, tcpCandidates.get());
    }
    return Peer.unknown("transport", "no process can be attested on a " + channel.getClass().getSimpleName());
  }

  /** Wraps a negotiator: its handler first learns the peer, then hands over to the wrapped one. */
  private static final class Negotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
    private final InternalProtocolNegotiator.ProtocolNegotiator inner;
    private final Function<Channel, Peer> finder;
    private final PeerCheck check;

    Negotiator(InternalProtocolNegotiator.ProtocolNegotiator inner, Function<Channel, Peer> finder, PeerCheck check) {
      this.inner = inner;
      this.finder = finder;
      this.check = check;
    }

    @Override
    public AsciiString scheme() {
      return inner.scheme();
    }

    @Override
    public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
      return new PeerHandler(inner.newHandler(grpcHandler), finder, check);
    }

    @Override
    public void close() {
      inner.close();
    }
  }

  /**
   * Sits in front of the wrapped negotiator's handler. grpc fires a {@link
   * ProtocolNegotiationEvent} down the pipeline to start negotiation; this handler adds the peer
   * to the event's attributes (the wrapped negotiator keeps them, as TLS adds its session), so
   * they become the transport's attributes. A client connection is not yet connected when the
   * event arrives: then the event is held until the channel is active.
   */
  private static final class PeerHandler extends ChannelInboundHandlerAdapter {
    private final ChannelHandler next;
    private final Function<Channel, Peer> finder;
    private final PeerCheck check;
    private ProtocolNegotiationEvent held;

    PeerHandler(ChannelHandler next, Function<Channel, Peer> finder, PeerCheck check) {
      this.next = next;
      this.finder = finder;
      this.check = check;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ctx.pipeline().addAfter(ctx.name(), null, next);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (!(evt instanceof ProtocolNegotiationEvent)) {
        super.userEventTriggered(ctx, evt);
        return;
      }
      held = (ProtocolNegotiationEvent) evt;
      if (ctx.channel().isActive()) {
        proceed(ctx, false);
      }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      if (held != null) {
        proceed(ctx, true);
      } else {
        super.channelActive(ctx);
      }
    }

    private void proceed(ChannelHandlerContext ctx, boolean forwardActive) {
      Peer peer = finder.apply(ctx.channel());
      String refusal = check == null ? null : check.refusal(peer);
      if (refusal != null) {
        ctx.fireExceptionCaught(Status.UNAVAILABLE.withDescription(refusal).asRuntimeException());
        ctx.close();
        return;
      }
      Attributes attributes = InternalProtocolNegotiationEvent.getAttributes(held).toBuilder().set(PEER, peer).build();
      ProtocolNegotiationEvent event = InternalProtocolNegotiationEvent.withAttributes(held, attributes);
      held = null;
      ctx.pipeline().remove(this);
      ctx.fireUserEventTriggered(event);
      if (forwardActive) {
        ctx.fireChannelActive();
      }
    }
  }
}
