package io.dtac.examples.agent;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JDK {@link HttpExchange} as an {@link HttpCall}, with the one thing the JDK server needs that
 * another would not: the rest of the request body is read before answering (see {@link
 * #drainUnreadBody()}).
 */
final class JdkHttpCall implements HttpCall {
  private static final Logger LOG = LoggerFactory.getLogger(JdkHttpCall.class);

  private final HttpExchange exchange;
  private final long drainLimit;

  JdkHttpCall(HttpExchange exchange, long drainLimit) {
    this.exchange = exchange;
    this.drainLimit = drainLimit;
  }

  @Override
  public String method() {
    return exchange.getRequestMethod();
  }

  @Override
  public String path() {
    return Objects.requireNonNullElse(exchange.getRequestURI().getPath(), "");
  }

  @Override
  public String rawQuery() {
    return exchange.getRequestURI().getRawQuery();
  }

  @Override
  public String requestHeader(String name) {
    return exchange.getRequestHeaders().getFirst(name);
  }

  @Override
  public Map<String, List<String>> requestHeaders() {
    return exchange.getRequestHeaders();
  }

  @Override
  public String remoteAddress() {
    return exchange.getRemoteAddress().getAddress().getHostAddress();
  }

  @Override
  public InputStream requestBody() {
    // Left open: drainUnreadBody() reads it to its end, and the exchange's close() closes it.
    return exchange.getRequestBody();
  }

  @Override
  public void setResponseHeader(String name, String value) {
    exchange.getResponseHeaders().set(name, value);
  }

  @Override
  public void addResponseHeader(String name, String value) {
    exchange.getResponseHeaders().add(name, value);
  }

  @Override
  public void respond(int status, byte[] body) throws IOException {
    drainUnreadBody();
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(body);
      }
    }
  }

  /**
   * Reads the rest of the request body, up to the drain limit, before anything is answered.
   *
   * <p>Answering first (a 401, a 404, a 405: any route that never needed the body) lets the client
   * send its next request on the kept-alive connection while the JDK server is still draining this
   * one's body; over TLS the server can then decrypt the next request into its buffer while
   * draining, fail to notice it there, and wait on the socket for bytes that never come: the
   * client's next request hangs until it times out. Once the body is read here, the client has
   * nothing more to send until it sees the answer. A body larger than the limit, or one that
   * cannot be read, is not worth reading: the connection is closed after the answer instead.
   */
  private void drainUnreadBody() {
    Headers h = exchange.getResponseHeaders();
    if ("close".equalsIgnoreCase(h.getFirst("Connection"))) {
      return;
    }
    byte[] scrap = new byte[8192];
    long budget = drainLimit;
    try {
      InputStream in = exchange.getRequestBody();
      int n;
      while ((n = in.read(scrap, 0, (int) Math.min(scrap.length, budget + 1))) >= 0) {
        budget -= n;
        if (budget < 0) {
          h.set("Connection", "close");
          return;
        }
      }
    } catch (IOException e) {
      LOG.debug("could not read the rest of the request body of {} {}: {}",
          exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e.toString());
      h.set("Connection", "close");
    }
  }
}
