package io.dtac.examples.agent;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Jetty does not bound by itself on the gateway's connector: the time to a complete request
 * header ({@code header_timeout}) and the connections one IP address holds ({@code
 * max_connections_per_client}). A listener on every connection the connector makes: its TLS
 * connection (one per socket) is counted against its address, and its HTTP connection (over the
 * TLS one) gets a deadline when it opens and again after each answer, which the next request's
 * arrival cancels. A connection past its deadline is closed, whatever it sent: nothing of it has
 * reached a handler, so nobody is owed an answer. Thread-safe.
 */
final class JettyConnectionGuard implements Connection.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(JettyConnectionGuard.class);

  private final Scheduler scheduler;
  private final long headerTimeoutMillis;
  private final int maxPerAddress;
  private final Map<Connection, Deadline> deadlines = new ConcurrentHashMap<>();
  private final Map<Connection, InetAddress> counted = new ConcurrentHashMap<>();
  private final Map<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
  private final AtomicLong headerTimeouts = new AtomicLong();
  private final AtomicLong refusedConnections = new AtomicLong();

  JettyConnectionGuard(Scheduler scheduler, Duration headerTimeout, int maxPerAddress) {
    this.scheduler = scheduler;
    this.headerTimeoutMillis = headerTimeout.toMillis();
    this.maxPerAddress = maxPerAddress;
  }

  @Override
  public void onOpened(Connection c) {
    if (c instanceof SslConnection) {
      admit(c);
    } else {
      arm(c);
    }
  }

  @Override
  public void onClosed(Connection c) {
    Deadline d = deadlines.remove(c);
    if (d != null) {
      d.task.cancel();
    }
    InetAddress address = counted.remove(c);
    if (address != null) {
      perAddress.computeIfPresent(address, (a, n) -> n == 1 ? null : n - 1);
    }
  }

  /** A request's headers are complete on {@code c}: it is no longer on the clock. */
  void requestArrived(Connection c) {
    Deadline d = deadlines.remove(c);
    if (d != null) {
      d.task.cancel();
    }
  }

  /** {@code c} has answered a request: the next request's headers are on the clock. */
  void answered(Connection c) {
    if (c.getEndPoint().isOpen()) {
      arm(c);
    }
  }

  /** Connections closed for not completing a request header in time, since start. */
  long headerTimeouts() {
    return headerTimeouts.get();
  }

  /** Connections closed at once for their address's limit, since start. */
  long refusedConnections() {
    return refusedConnections.get();
  }

  /** Connections open from {@code address} now, as counted against its limit. */
  int connectionsFrom(InetAddress address) {
    return perAddress.getOrDefault(address, 0);
  }

  private void admit(Connection c) {
    SocketAddress remote = c.getEndPoint().getRemoteSocketAddress();
    if (!(remote instanceof InetSocketAddress)) {
      return;
    }
    InetAddress address = ((InetSocketAddress) remote).getAddress();
    int n = perAddress.merge(address, 1, Integer::sum);
    counted.put(c, address);
    if (n > maxPerAddress) {
      refusedConnections.incrementAndGet();
      LOG.debug("closed a connection from {}: it holds {} already (max_connections_per_client)",
          address.getHostAddress(), maxPerAddress);
      c.getEndPoint().close();
    }
  }

  private void arm(Connection c) {
    Deadline d = new Deadline(c);
    Deadline old = deadlines.put(c, d);
    if (old != null) {
      old.task.cancel();
    }
    d.task = scheduler.schedule(d, headerTimeoutMillis, TimeUnit.MILLISECONDS);
  }

  private final class Deadline implements Runnable {
    private final Connection connection;
    private volatile Scheduler.Task task = () -> false;

    Deadline(Connection connection) {
      this.connection = connection;
    }

    @Override
    public void run() {
      if (deadlines.remove(connection, this)) {
        headerTimeouts.incrementAndGet();
        LOG.debug("closed a connection from {}: no complete request header within {} ms"
            + " (header_timeout)", connection.getEndPoint().getRemoteSocketAddress(), headerTimeoutMillis);
        connection.getEndPoint().close();
      }
    }
  }
}
