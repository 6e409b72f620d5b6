package io.dtac.plugin.internal;

import io.dtac.core.Protocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A plugin trusts its agent only. This test process is not the agent of itself (its agent is its
 * parent, the build), so a real connection from it is what a sibling plugin's would be.
 */
class AgentPeerTest {
  private static final long SELF = ProcessHandle.current().pid();
  private static final long PARENT = ProcessHandle.current().parent().orElseThrow().pid();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void attesting() {
    assumeTrue(AgentPeer.of(Map.of()).attested(), "needs /proc/net/tcp (Linux)");
  }

  @AfterEach
  void close() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void theAgentIsTheParentUnlessTheAgentNamedAnAncestor() {
    assertEquals(PARENT, AgentPeer.of(Map.of()).pid());
    assertEquals(PARENT, AgentPeer.of(Map.of(Protocol.ENV_AGENT_PID, Long.toString(SELF))).pid(),
        "a process is not its own agent");
    assertEquals(PARENT, AgentPeer.of(Map.of(Protocol.ENV_AGENT_PID, "999999999")).pid(),
        "a pid that is no ancestor is ignored");
    assertEquals(1, AgentPeer.of(Map.of(Protocol.ENV_AGENT_PID, "1")).pid(), "init is everyone's ancestor");
  }

  @Test
  void theServerRefusesACallerThatIsNotTheAgent() throws Exception {
    AgentPeer agent = AgentPeer.of(Map.of());
    server = NettyServerBuilder.forAddress(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
            agent.serverCredentials(InsecureServerCredentials.create()))
        .addService(new HealthStatusManager().getHealthService())
        .intercept(agent.agentOnly("P"))
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port(), InsecureChannelCredentials.create()).build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    // Over TCP only the agent's sockets are searched: this process's is not among them.
    assertTrue(e.getStatus().getDescription().startsWith(
        "plugin P accepts calls from its agent only: the connecting process is not the agent (process " + PARENT + ")"),
        e.getStatus().getDescription());
  }

  @Test
  void theBrokerConnectionRefusesAServerThatIsNotTheAgent() throws Exception {
    server = NettyServerBuilder.forAddress(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), InsecureServerCredentials.create())
        .addService(new HealthStatusManager().getHealthService())
        .build()
        .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port(),
            AgentPeer.of(Map.of()).brokerCredentials(InsecureChannelCredentials.create()))
        .build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> HealthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith("the broker's address is not served by the agent"),
        e.getStatus().toString());
  }

  private int port() {
    return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
  }
}
