package io.dtac.examples.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;

/**
 * A Jetty {@link Request} and {@link Response} as an {@link HttpCall}. The body is read under the
 * request's deadline ({@code request_timeout}, counted from the request's first byte): a body that
 * has not arrived by then fails with {@link SocketTimeoutException}, as does a read that the
 * connection's idle timeout ends. Response headers are checked as the JDK's server checked them,
 * since Jetty would send a line break in a value as it is.
 */
final class JettyHttpCall implements HttpCall {
  private final Request request;
  private final Response response;
  private final long deadlineNanos;
  private final Duration requestTimeout;
  private BodyStream body;

  JettyHttpCall(Request request, Response response, Duration requestTimeout) {
    this.request = request;
    this.response = response;
    this.requestTimeout = requestTimeout;
    this.deadlineNanos = request.getBeginNanoTime() + requestTimeout.toNanos();
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String path() {
    return Objects.requireNonNullElse(request.getHttpURI().getDecodedPath(), "");
  }

  @Override
  public String rawQuery() {
    return request.getHttpURI().getQuery();
  }

  @Override
  public String requestHeader(String name) {
    return request.getHeaders().get(name);
  }

  @Override
  public Map<String, List<String>> requestHeaders() {
    // One entry a name, whatever its case, spelled as it first came; a value per header line.
    Map<String, List<String>> all = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (HttpField f : request.getHeaders()) {
      all.computeIfAbsent(f.getName(), k -> new ArrayList<>()).add(f.getValue());
    }
    return Collections.unmodifiableMap(all);
  }

  @Override
  public String remoteAddress() {
    SocketAddress a = request.getConnectionMetaData().getRemoteSocketAddress();
    return a instanceof InetSocketAddress
        ? ((InetSocketAddress) a).getAddress().getHostAddress()
        : String.valueOf(a);
  }

  @Override
  public InputStream requestBody() {
    if (body == null) {
      body = new BodyStream();
    }
    return body;
  }

  @Override
  public void setResponseHeader(String name, String value) {
    checkHeader(name, value);
    response.getHeaders().put(name, value);
  }

  @Override
  public void addResponseHeader(String name, String value) {
    checkHeader(name, value);
    response.getHeaders().add(name, value);
  }

  @Override
  public void respond(int status, byte[] body) throws IOException {
    consumeUnreadBody();
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    try (Blocker.Callback written = Blocker.callback()) {
      response.write(true, ByteBuffer.wrap(body), written);
      written.block();
    }
  }

  /**
   * Takes in what has arrived of a body the route did not read (a 401, a 404, a 405: any refusal
   * that never needed it), without waiting for the rest. If the body is not whole, the answer says
   * {@code Connection: close}: Jetty would otherwise close the connection after an answer that had
   * promised to keep it, and the client's next request on it would find it gone. Never blocks on a
   * slow sender.
   */
  private void consumeUnreadBody() {
    if (this.body != null) {
      if (this.body.ended) {
        return;
      }
      this.body.close();
    }
    if (!request.consumeAvailable()) {
      response.getHeaders().put(HttpHeader.CONNECTION, "close");
    }
  }

  /** A header name must be an HTTP token, and a value must hold no line break or other control. */
  static void checkHeader(String name, String value) {
    if (name.isEmpty() || !name.chars().allMatch(JettyHttpCall::isTokenChar)) {
      // Not repeated in the message: it may hold the line break that a log line must not.
      throw new IllegalArgumentException("illegal header name: not an HTTP token");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        throw new IllegalArgumentException("illegal character in the value of header " + name);
      }
    }
  }

  private static boolean isTokenChar(int c) {
    return c > 0x20 && c < 0x7f && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0;
  }

  /** Reads the request's content chunk by chunk, waiting for more no later than the deadline. */
  private final class BodyStream extends InputStream {
    private Content.Chunk chunk;
    private boolean ended;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      while (true) {
        if (ended) {
          return -1;
        }
        if (chunk == null) {
          chunk = request.read();
          if (chunk == null) {
            awaitContent();
            continue;
          }
        }
        if (Content.Chunk.isFailure(chunk)) {
          throw failure(chunk.getFailure());
        }
        ByteBuffer buffer = chunk.getByteBuffer();
        if (buffer.hasRemaining() && len > 0) {
          int n = Math.min(len, buffer.remaining());
          buffer.get(b, off, n);
          return n;
        }
        if (len == 0 && buffer.hasRemaining()) {
          return 0;
        }
        ended = chunk.isLast();
        chunk.release();
        chunk = null;
      }
    }

    private void awaitContent() throws IOException {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0) {
        throw bodyTimedOut();
      }
      CountDownLatch available = new CountDownLatch(1);
      request.demand(available::countDown);
      try {
        if (!available.await(left, TimeUnit.NANOSECONDS)) {
          throw bodyTimedOut();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while reading the request body");
      }
    }

    private SocketTimeoutException bodyTimedOut() {
      return new SocketTimeoutException("the request did not arrive whole within "
          + requestTimeout.toMillis() + " ms of its first byte (request_timeout in the agent's"
          + " --config file)");
    }

    private IOException failure(Throwable t) {
      if (t instanceof TimeoutException) {
        SocketTimeoutException e = new SocketTimeoutException(
            "the client sent nothing for longer than the idle timeout (idle_timeout in the agent's"
                + " --config file) while its request body was read");
        e.initCause(t);
        return e;
      }
      return t instanceof IOException ? (IOException) t : new IOException(t.getMessage(), t);
    }

    @Override
    public void close() {
      if (chunk != null) {
        chunk.release();
        chunk = null;
      }
    }
  }
}
