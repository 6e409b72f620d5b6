package io.dtac.plugin.internal;

import io.dtac.broker.api.peer.Peer;
import io.dtac.core.Protocol;
import io.dtac.broker.api.peer.PeerAttestation;
import io.dtac.broker.api.peer.ProcessAncestry;
import io.dtac.broker.api.peer.TcpSocketOwner;
import io.grpc.ChannelCredentials;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.List;
import java.util.Map;

/**
 * The plugin trusts the agent that launched it, and nobody else: the process named by {@value
 * io.dtac.core.Protocol#ENV_AGENT_PID} when it is an ancestor of this process (a plugin file may be a script that runs
 * the JVM as its child), else the parent process. The kernel says which process is at the other
 * end of each connection (see {@code io.dtac.broker.api.peer}): the plugin's server refuses calls
 * from any other process, sibling plugins included, and its broker connection refuses a broker
 * socket served by any other process.
 *
 * <p>Where the OS offers no attestation (no {@code /proc/net/tcp}), nothing is checked here; the
 * agent's TLS pinning is then what keeps other processes out.
 */
public final class AgentPeer {
  private final long agentPid;
  private final boolean attested;

  private AgentPeer(long agentPid, boolean attested) {
    this.agentPid = agentPid;
    this.attested = attested;
  }

  /** The agent of this process, as its environment and process tree say. */
  public static AgentPeer of(Map<String, String> env) {
    long self = ProcessHandle.current().pid();
    long parent = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
    long agent = parent;
    try {
      long named = Long.parseLong(env.getOrDefault(Protocol.ENV_AGENT_PID, "").trim());
      if (named != self && ProcessAncestry.isSelfOrDescendant(self, named)) {
        agent = named;
      }
    } catch (NumberFormatException e) {
      // not launched by a dtac-broker agent: the parent is the agent
    }
    return new AgentPeer(agent, agent > 0 && TcpSocketOwner.available());
  }

  /** Whether this plugin can check who connects (an attesting OS and a known agent). */
  public boolean attested() {
    return attested;
  }

  public long pid() {
    return agentPid;
  }

  /** {@code inner} plus the peer process of each connection, when attested. */
  public ServerCredentials serverCredentials(ServerCredentials inner) {
    return attested ? PeerAttestation.server(inner, () -> List.of(agentPid)) : inner;
  }

  /** Refuses every call whose connection does not come from the agent, when attested. */
  public ServerInterceptor agentOnly(String pluginName) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String refusal = attested ? refusal(PeerAttestation.peer(call)) : null;
        if (refusal != null) {
          call.close(
              Status.UNAUTHENTICATED.withDescription(
                  "plugin " + pluginName + " accepts calls from its agent only: " + refusal),
              new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
  }

  /** {@code inner}, refusing a broker that is not served by the agent, when attested. */
  public ChannelCredentials brokerCredentials(ChannelCredentials inner) {
    return attested
        ? PeerAttestation.client(inner, () -> List.of(agentPid), peer -> {
            String why = refusal(peer);
            return why == null ? null : "the broker's address is not served by the agent: " + why;
          })
        : inner;
  }

  private String refusal(Peer peer) {
    if (peer == null || !peer.known()) {
      return "the connecting process is not the agent (process " + agentPid + "): "
          + (peer == null ? "the connection is not attested" : peer.problem());
    }
    return peer.pid() == agentPid ? null : "process " + peer.pid() + " is not the agent (process " + agentPid + ")";
  }
}
