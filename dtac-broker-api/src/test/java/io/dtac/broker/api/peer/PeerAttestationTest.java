package io.dtac.broker.api.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.ListPluginsRequest;
import io.dtac.broker.api.ListPluginsResponse;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel names the process at the other end of real Unix-socket and loopback TCP connections. */
class PeerAttestationTest {
  private static final long SELF = ProcessHandle.current().pid();

  @TempDir Path dir;
  private final AtomicReference<Peer> seen = new AtomicReference<>();
  private Server server;
  private ManagedChannel channel;
  private EventLoopGroup group;

  @AfterEach
  void close() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void unixSocketPeerIsThisProcess() throws Exception {
    assumeTrue(Epoll.isAvailable(), "needs native epoll");
    String socket = startUnix();
    channel = unixChannel(socket, InsecureChannelCredentials.create());
    AgentServiceGrpc.newBlockingStub(channel).listPlugins(ListPluginsRequest.getDefaultInstance());
    assertEquals(SELF, seen.get().pid());
    assertEquals(Peer.UNIX, seen.get().mechanism());
  }

  @Test
  void loopbackTcpPeerIsFoundAmongTheCandidates() throws Exception {
    assumeTrue(TcpSocketOwner.available(), "needs /proc/net/tcp");
    int port = startTcp(List.of(SELF));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
    AgentServiceGrpc.newBlockingStub(channel).listPlugins(ListPluginsRequest.getDefaultInstance());
    assertEquals(SELF, seen.get().pid());
    assertEquals(Peer.TCP, seen.get().mechanism());
  }

  @Test
  void tcpPeerOutsideTheCandidatesIsUnknown() throws Exception {
    assumeTrue(TcpSocketOwner.available(), "needs /proc/net/tcp");
    long parent = ProcessHandle.current().parent().orElseThrow().pid();
    int port = startTcp(List.of(parent));
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
    AgentServiceGrpc.newBlockingStub(channel).listPlugins(ListPluginsRequest.getDefaultInstance());
    assertTrue(!seen.get().known(), seen.get().toString());
    assertTrue(seen.get().problem().contains("belongs to none"), seen.get().problem());
  }

  @Test
  void clientRefusesAServerThatIsNotTheExpectedProcess() throws Exception {
    assumeTrue(Epoll.isAvailable(), "needs native epoll");
    String socket = startUnix();
    ChannelCredentials checked =
        PeerAttestation.client(
            InsecureChannelCredentials.create(), List::of,
            peer -> peer.pid() == 1 ? null : "expected process 1, but " + peer + " answered");
    channel = unixChannel(socket, checked);
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () -> AgentServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .listPlugins(ListPluginsRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("expected process 1"), e.getStatus().toString());
    assertEquals(null, seen.get(), "no call reached the server");
  }

  @Test
  void clientAcceptsTheExpectedServer() throws Exception {
    assumeTrue(Epoll.isAvailable(), "needs native epoll");
    String socket = startUnix();
    ChannelCredentials checked =
        PeerAttestation.client(
            InsecureChannelCredentials.create(), List::of, peer -> peer.pid() == SELF ? null : "not me");
    channel = unixChannel(socket, checked);
    AgentServiceGrpc.newBlockingStub(channel).listPlugins(ListPluginsRequest.getDefaultInstance());
    assertEquals(SELF, seen.get().pid());
  }

  @Test
  void tcpClientChecksTheProcessListeningOnTheServersPort() throws Exception {
    assumeTrue(TcpSocketOwner.available(), "needs /proc/net/tcp");
    int port = startTcp(List.of(SELF));
    ChannelCredentials checked =
        PeerAttestation.client(
            InsecureChannelCredentials.create(), () -> List.of(SELF), peer -> peer.pid() == SELF ? null : "not me: " + peer);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port, checked).build();
    AgentServiceGrpc.newBlockingStub(channel).listPlugins(ListPluginsRequest.getDefaultInstance());
    assertEquals(SELF, seen.get().pid());
  }

  @Test
  void procNetAddressesParse() throws Exception {
    assertEquals(InetAddress.getByName("127.0.0.1"), TcpSocketOwner.address("0100007F"));
    assertEquals(InetAddress.getByName("127.0.0.1"), TcpSocketOwner.address("0000000000000000FFFF00000100007F"));
    assertEquals(InetAddress.getByName("::1"), TcpSocketOwner.address("00000000000000000000000001000000"));
    assertTrue(TcpSocketOwner.same("0100007F:1F90", new InetSocketAddress("127.0.0.1", 8080)));
  }

  private String startUnix() throws Exception {
    String socket = dir.resolve("s.sock").toString();
    group = new EpollEventLoopGroup(1);
    server =
        NettyServerBuilder.forAddress(
                new DomainSocketAddress(socket),
                PeerAttestation.server(InsecureServerCredentials.create(), List::of))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(group)
            .workerEventLoopGroup(group)
            .addService(ServerInterceptors.intercept(new Service(), new Capture()))
            .build()
            .start();
    return socket;
  }

  private int startTcp(List<Long> candidates) throws Exception {
    server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                PeerAttestation.server(InsecureServerCredentials.create(), () -> candidates))
            .addService(ServerInterceptors.intercept(new Service(), new Capture()))
            .build()
            .start();
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }

  private ManagedChannel unixChannel(String socket, ChannelCredentials credentials) {
    return NettyChannelBuilder.forAddress(new DomainSocketAddress(socket), credentials)
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(group)
        .overrideAuthority("localhost")
        .build();
  }

  private final class Capture implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      seen.set(PeerAttestation.peer(call));
      return next.startCall(call, headers);
    }
  }

  private static final class Service extends AgentServiceGrpc.AgentServiceImplBase {
    @Override
    public void listPlugins(ListPluginsRequest request, StreamObserver<ListPluginsResponse> out) {
      out.onNext(ListPluginsResponse.getDefaultInstance());
      out.onCompleted();
    }
  }
}
