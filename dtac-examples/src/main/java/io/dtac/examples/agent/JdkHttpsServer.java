package io.dtac.examples.agent;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;

/**
 * The gateway's server: the JDK's {@code com.sun.net.httpserver.HttpsServer} (TLS 1.3 and 1.2) on
 * a fixed pool of daemon threads, handing every request, whatever its path, to one handler as a
 * {@link JdkHttpCall}. With {@link JdkHttpCall}, the only code that names a {@code
 * com.sun.net.httpserver} type: another server means another {@link GatewayServer} and adapter.
 */
final class JdkHttpsServer implements GatewayServer {
  private final HttpsServer server;
  private final ExecutorService pool;

  private JdkHttpsServer(HttpsServer server, ExecutorService pool) {
    this.server = server;
    this.pool = pool;
  }

  /**
   * Binds {@code address} and starts serving.
   *
   * @param threads how many requests are served at once; a request waits on its own thread
   * @param drainLimit how much of a request body left unread is read before answering (see {@link
   *     JdkHttpCall}); a longer body closes the connection after the answer
   * @param handler serves each request on a pool thread; the exchange ends when it returns
   * @throws IOException if the address cannot be bound; for a port in use, the message says so
   */
  static JdkHttpsServer start(InetSocketAddress address, SSLContext sslContext, int threads,
      long drainLimit, Consumer<HttpCall> handler) throws IOException {
    HttpsServer s;
    try {
      s = HttpsServer.create(address, 0);
    } catch (BindException e) {
      throw new IOException("cannot listen on " + address.getHostString() + ":" + address.getPort()
          + " (" + e.getMessage() + "); is another agent running? choose another --port, or --port 0"
          + " for a free one", e);
    }
    s.setHttpsConfigurator(new HttpsConfigurator(sslContext) {
      @Override
      public void configure(HttpsParameters params) {
        params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      }
    });
    AtomicInteger n = new AtomicInteger();
    ExecutorService pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "dtac-gateway-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    s.setExecutor(pool);
    s.createContext("/", exchange -> {
      try {
        handler.accept(new JdkHttpCall(exchange, drainLimit));
      } finally {
        exchange.close();
      }
    });
    s.start();
    return new JdkHttpsServer(s, pool);
  }

  @Override
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void stop() {
    server.stop(0);
    pool.shutdownNow();
  }
}
