package io.dtac.examples.agent;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.BlockingArrayQueue;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * The gateway's server: Jetty 12 (HTTP/1.1 over TLS 1.3 and 1.2), handing every request, whatever
 * its path, to one handler as a {@link JettyHttpCall}. With {@link JettyHttpCall} and {@link
 * JettyConnectionGuard}, the only code that names a Jetty type.
 *
 * <p>What it bounds ({@link GatewayLimits}): a pool of {@code threads} + {@link
 * GatewayLimits#SPARE_THREADS} daemon threads with a bounded queue; connections in all (Jetty's
 * {@link NetworkConnectionLimit}: at the limit it stops accepting) and per IP address; the time to
 * a request's headers, to its whole body, and of silence on a connection. A connection costs no
 * thread until it has a request: Jetty's selector waits for the bytes of TLS handshakes and headers,
 * so slow or half-open clients hold only a socket, for at most {@code header_timeout}. While the
 * handler works, the connection's idle timeout is ignored (the plugin's call has its own deadline).
 * Errors that Jetty itself answers (a malformed request line, headers over 8 KiB, an ambiguous
 * path) are JSON, as every other error of the gateway.
 */
final class JettyHttpsServer implements GatewayServer {
  /** The largest request line and headers Jetty accepts (Jetty's default); larger is 431 or 414. */
  static final int MAX_REQUEST_HEADER_BYTES = 8 * 1024;

  private final Server server;
  private final ServerConnector connector;
  private final JettyConnectionGuard guard;

  private JettyHttpsServer(Server server, ServerConnector connector, JettyConnectionGuard guard) {
    this.server = server;
    this.connector = connector;
    this.guard = guard;
  }

  /**
   * Binds {@code address} and starts serving.
   *
   * @param handler serves each request on a pool thread; the exchange ends when it returns
   * @throws IOException if the address cannot be bound; for a port in use, the message says so.
   *     Nothing is left running then
   */
  static JettyHttpsServer start(InetSocketAddress address, SSLContext sslContext, GatewayLimits limits,
      Consumer<HttpCall> handler) throws IOException {
    QueuedThreadPool pool = new QueuedThreadPool(limits.poolThreads(), Math.min(4, limits.poolThreads()),
        60_000, 0, new BlockingArrayQueue<>(64, 64, limits.poolQueue()), null);
    pool.setName("dtac-gateway");
    pool.setDaemon(true);
    ScheduledExecutorScheduler scheduler = new ScheduledExecutorScheduler("dtac-gateway-timer", true);
    Server server = new Server(pool, scheduler, null);
    server.setStopTimeout(0);

    SslContextFactory.Server tls = new SslContextFactory.Server();
    tls.setSslContext(sslContext);
    tls.setIncludeProtocols("TLSv1.3", "TLSv1.2");
    tls.setRenegotiationAllowed(false);

    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setRequestHeaderSize(MAX_REQUEST_HEADER_BYTES);
    http.setDelayDispatchUntilContent(false);

    ServerConnector connector = new ServerConnector(server, 1, 1,
        new SslConnectionFactory(tls, "http/1.1"), new HttpConnectionFactory(http));
    connector.setHost(address.getHostString());
    connector.setPort(address.getPort());
    connector.setIdleTimeout(limits.idleTimeout().toMillis());
    JettyConnectionGuard guard = new JettyConnectionGuard(
        scheduler, limits.headerTimeout(), limits.maxConnectionsPerClient());
    connector.addBean(guard);
    server.addConnector(connector);
    server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
    server.setErrorHandler(JettyHttpsServer::answerJettysOwnError);
    server.setHandler(new Handler.Abstract(Handler.Abstract.InvocationType.BLOCKING) {
      @Override
      public boolean handle(Request request, Response response, Callback callback) {
        Connection c = request.getConnectionMetaData().getConnection();
        guard.requestArrived(c);
        request.addIdleTimeoutListener(timeout -> false);
        try {
          handler.accept(new JettyHttpCall(request, response, limits.requestTimeout()));
          callback.succeeded();
        } catch (Throwable t) {
          callback.failed(t);
        } finally {
          guard.answered(c);
        }
        return true;
      }
    });
    try {
      server.start();
    } catch (Exception e) {
      stopQuietly(server);
      if (hasCause(e, BindException.class)) {
        throw new IOException("cannot listen on " + address.getHostString() + ":" + address.getPort()
            + " (" + e.getMessage() + "); is another agent running? choose another --port, or --port 0"
            + " for a free one", e);
      }
      throw e instanceof IOException ? (IOException) e : new IOException("cannot start the REST gateway: " + e, e);
    }
    return new JettyHttpsServer(server, connector, guard);
  }

  @Override
  public int port() {
    return connector.getLocalPort();
  }

  /** What the connection guard has seen: for tests and diagnostics. */
  JettyConnectionGuard guard() {
    return guard;
  }

  @Override
  public void stop() {
    stopQuietly(server);
  }

  private static void stopQuietly(Server server) {
    try {
      server.stop();
    } catch (Exception e) {
      // Stopping closes the sockets and ends the threads first; what failed after is not the caller's to fix.
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Jetty's own refusals (bad request line, headers too large, ambiguous path, ...) as the
   * gateway's {@code {"error", "status"}}. Runs where Jetty calls it, so it writes without blocking.
   */
  private static boolean answerJettysOwnError(Request request, Response response, Callback callback) {
    int status = response.getStatus();
    if (status < 400 || status > 599) {
      status = 500;
    }
    Object message = request.getAttribute(ErrorHandler.ERROR_MESSAGE);
    String reason = message instanceof String && !((String) message).isBlank()
        ? (String) message : HttpStatus.getMessage(status);
    String hint = status == 431 || status == 414
        ? "; the request line and headers may hold at most " + MAX_REQUEST_HEADER_BYTES + " bytes" : "";
    HttpError error = new HttpError(status, "the request was refused by the HTTP server: " + reason + hint);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, GatewayJson.MEDIA_TYPE);
    ResponseWriter.EVERY_ANSWER.forEach(response.getHeaders()::put);
    byte[] body = error.json();
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
    return true;
  }
}
