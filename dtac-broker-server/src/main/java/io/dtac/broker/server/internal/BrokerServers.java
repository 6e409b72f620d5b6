package io.dtac.broker.server.internal;

import io.dtac.broker.server.internal.observability.BrokerMetrics;
import io.grpc.Attributes;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's gRPC servers: {@code AgentService} and the standard health service on loopback TCP
 * and, where plugins take it, on a Unix socket in a private directory ({@link Transports}). Both
 * listeners have the same settings and services. Started once, then shut down in two steps
 * ({@link #shutdown()}, then {@link #awaitTermination()}), so that plugins can be stopped in
 * between.
 */
public final class BrokerServers {
  private static final Logger LOG = LoggerFactory.getLogger(BrokerServers.class);

  private final BrokerConfig config;
  private final HealthStatusManager health = new HealthStatusManager();
  private volatile Server server;
  private volatile Server unixServer;
  private volatile Transports transports = Transports.tcpOnly();
  /** Guarded by this: after {@link #shutdown()} nothing starts. */
  private boolean shutDown;

  private final BrokerMetrics metrics;

  /** @param metrics told of every plugin connection that opens and closes */
  public BrokerServers(BrokerConfig config, BrokerMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  /**
   * Starts the TCP listener, then the Unix-socket one if enabled and available (falling back to
   * TCP alone, with a warning, if it cannot listen).
   *
   * @throws IOException if the TCP listener cannot bind
   * @throws IllegalStateException after {@link #shutdown()}
   */
  public synchronized void start(ServerServiceDefinition agentService, ServerCredentials credentials)
      throws IOException {
    if (shutDown) {
      throw new IllegalStateException("the broker's servers are shut down");
    }
    server =
        configure(
                NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()), credentials),
                agentService)
            .build()
            .start();
    LOG.info("plugin broker listening on {}", brokerAddress());
    transports = Transports.open(config.unixSockets(), config.socketDirectory());
    NettyServerBuilder b = transports.unixServerBuilder(credentials);
    if (b == null) {
      return;
    }
    try {
      unixServer = configure(b, agentService).build().start();
      LOG.info("plugin broker also listening on unix:{}", transports.socketDirectory());
    } catch (IOException e) {
      LOG.warn("plugins connect over loopback TCP: the broker cannot listen on a Unix socket: {}", e.toString());
      transports.close();
      transports = Transports.tcpOnly();
    }
  }

  /** The settings and services of both listeners. */
  private NettyServerBuilder configure(NettyServerBuilder b, ServerServiceDefinition agentService) {
    return b.maxInboundMessageSize(config.maxMessageSize())
        .maxInboundMetadataSize(MetadataLimitInterceptor.TRANSPORT_MAX_BYTES)
        // Handlers and interceptors never block (routing is asynchronous, audit only enqueues):
        // running them on the transport thread saves a thread hand-off per call.
        .directExecutor()
        .addTransportFilter(new ConnectionCounter())
        .addService(agentService)
        .addService(health.getHealthService());
  }

  /** Counts connections that became ready, once each when they end. */
  private final class ConnectionCounter extends ServerTransportFilter {
    private final Attributes.Key<Boolean> counted = Attributes.Key.create("dtac-connection-counted");

    @Override
    public Attributes transportReady(Attributes attributes) {
      metrics.connectionOpened();
      return attributes.toBuilder().set(counted, Boolean.TRUE).build();
    }

    @Override
    public void transportTerminated(Attributes attributes) {
      if (attributes != null && Boolean.TRUE.equals(attributes.get(counted))) {
        metrics.connectionClosed();
      }
    }
  }

  /** How plugins are reached and reach the broker: Unix sockets if listening on one, else TCP. */
  public Transports transports() {
    return transports;
  }

  /**
   * "127.0.0.1:PORT", the TCP listener's address.
   *
   * @throws IllegalStateException before {@link #start}
   */
  public String brokerAddress() {
    Server s = server;
    if (s == null) {
      throw new IllegalStateException("the broker is not started");
    }
    InetSocketAddress a = (InetSocketAddress) s.getListenSockets().get(0);
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  /** The broker's health turns NOT_SERVING: it is shutting down. */
  public void notServing() {
    health.setStatus("", HealthCheckResponse.ServingStatus.NOT_SERVING);
  }

  /** Stops accepting calls; calls in progress continue. Waits for a {@link #start} under way. */
  public synchronized void shutdown() {
    shutDown = true;
    Server s = server;
    if (s != null) {
      s.shutdown();
    }
    Server u = unixServer;
    if (u != null) {
      u.shutdown();
    }
    health.enterTerminalState();
  }

  /**
   * Waits up to the stop timeout for each listener to end, then forces it, and deletes the socket
   * directory.
   *
   * @return false if interrupted (the listeners are then forced down)
   */
  public boolean awaitTermination() {
    boolean interrupted = !await(server);
    interrupted |= !await(unixServer);
    transports.close();
    return !interrupted;
  }

  private boolean await(Server s) {
    if (s == null) {
      return true;
    }
    try {
      if (!s.awaitTermination(config.stopTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        s.shutdownNow();
      }
      return true;
    } catch (InterruptedException e) {
      s.shutdownNow();
      return false;
    }
  }
}
