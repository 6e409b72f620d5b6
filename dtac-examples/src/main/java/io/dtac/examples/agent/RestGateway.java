package io.dtac.examples.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.StringList;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.internal.Protos;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example agent's REST gateway: HTTPS in front of the plugins the broker runs.
 *
 * <ul>
 *   <li>{@code GET /plugins} lists the plugins, their state and endpoints (JSON).
 *   <li>{@code METHOD /plugins/ROOT_PATH/PATH} calls that endpoint (POST create, GET read, PUT
 *       write, DELETE delete). Query parameters, headers (except {@code Authorization}) and the
 *       body go into the {@link EndpointRequest}; the response's value is the body and its
 *       headers become HTTP headers.
 *   <li>Endpoints marked secure, and the listing, need {@code Authorization: Bearer TOKEN}; an
 *       unauthenticated caller learns nothing about the routes but a 401.
 *   <li>Under {@code /admin}, {@link AdminRoutes} loads, unloads and reloads plugins and reloads
 *       the access policy; every admin route needs a token.
 *   <li>Every error is {@code {"error": "...", "status": N}}.
 * </ul>
 *
 * <p>Served by the JDK's {@code com.sun.net.httpserver.HttpsServer} on a fixed pool of threads;
 * a plugin call blocks one pool thread until it answers or its deadline passes. Nothing a request
 * carries can stop the gateway: every failure is answered and logged. Tokens are never logged.
 * {@link #start()} once; {@link #close()} is idempotent and waits a grace period for requests in
 * flight.
 */
final class RestGateway implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RestGateway.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  /** Set by the JDK server itself, or meaningless across a proxy hop: never copied from a plugin. */
  private static final Set<String> RESERVED_RESPONSE_HEADERS =
      Set.of("content-length", "transfer-encoding", "connection", "keep-alive", "date", "upgrade",
          "trailer", "te");

  /**
   * What the gateway needs from the agent; {@link #of} adapts the broker. Every method may block
   * the calling thread; each may throw {@link IllegalStateException} once the agent is closing.
   */
  interface Backend {
    /** A snapshot of every plugin. */
    List<PluginInfo> plugins();

    /**
     * Calls an endpoint, blocking.
     *
     * @throws PluginCallException with the reason it failed
     */
    Response call(String pluginName, String path, Action action, Request request) throws PluginCallException;

    /** The directory the agent loads {@code *.plugin} files from. */
    Path pluginDirectory();

    /**
     * Loads {@code file}, already checked to be a plugin file in {@link #pluginDirectory()};
     * blocks until it is RUNNING or FAILED.
     */
    PluginInfo load(Path file);

    /** Stops and forgets the plugin; empty if there is none of that name. */
    Optional<PluginInfo> unload(String name);

    /** Restarts the plugin from its file; blocks until RUNNING or FAILED; empty if unknown. */
    Optional<PluginInfo> reload(String name);

    /** The agent's access policy file, if it has one. */
    Optional<Path> accessPolicyFile();

    /**
     * Re-reads {@link #accessPolicyFile()}.
     *
     * @throws IllegalArgumentException if the file is unreadable or invalid (the previous policy
     *     stays in force)
     */
    AccessPolicy reloadAccessPolicy();

    /**
     * The broker as a backend.
     *
     * @param pluginDirectory the directory the broker was built with
     * @param accessPolicyFile the access policy file the broker was built with, if any
     */
    static Backend of(PluginBroker broker, Path pluginDirectory, Optional<Path> accessPolicyFile) {
      Objects.requireNonNull(broker, "broker");
      Objects.requireNonNull(pluginDirectory, "pluginDirectory");
      Objects.requireNonNull(accessPolicyFile, "accessPolicyFile");
      return new Backend() {
        @Override
        public List<PluginInfo> plugins() {
          return broker.plugins();
        }

        @Override
        public Response call(String plugin, String path, Action action, Request r) throws PluginCallException {
          return broker.call(plugin, path, action, r);
        }

        @Override
        public Path pluginDirectory() {
          return pluginDirectory;
        }

        @Override
        public PluginInfo load(Path file) {
          return broker.load(file);
        }

        @Override
        public Optional<PluginInfo> unload(String name) {
          return broker.unload(name);
        }

        @Override
        public Optional<PluginInfo> reload(String name) {
          return broker.reload(name);
        }

        @Override
        public Optional<Path> accessPolicyFile() {
          return accessPolicyFile;
        }

        @Override
        public AccessPolicy reloadAccessPolicy() {
          return broker.reloadAccessPolicy();
        }
      };
    }
  }

  private final Builder config;
  private final AdminRoutes admin;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition idle = lock.newCondition();
  private int inFlight;
  private boolean closing;
  private HttpsServer server;
  private ExecutorService pool;

  private RestGateway(Builder b) {
    this.config = b;
    this.admin = new AdminRoutes(b.backend);
  }

  static Builder builder() {
    return new Builder();
  }

  /**
   * Binds and starts serving.
   *
   * @throws IOException if the address cannot be bound; for a port in use, the message says so
   * @throws IllegalStateException if called twice
   */
  RestGateway start() throws IOException {
    lock.lock();
    try {
      if (server != null || closing) {
        throw new IllegalStateException("RestGateway.start() may be called once, before close()");
      }
      InetSocketAddress address = new InetSocketAddress(config.bindAddress, config.port);
      HttpsServer s;
      try {
        s = HttpsServer.create(address, 0);
      } catch (BindException e) {
        throw new IOException("cannot listen on " + address.getHostString() + ":" + config.port
            + " (" + e.getMessage() + "); is another agent running? choose another --port, or --port 0"
            + " for a free one", e);
      }
      s.setHttpsConfigurator(new HttpsConfigurator(config.sslContext) {
        @Override
        public void configure(HttpsParameters params) {
          params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        }
      });
      AtomicInteger n = new AtomicInteger();
      pool = new ThreadPoolExecutor(config.threads, config.threads, 0, TimeUnit.MILLISECONDS,
          new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "dtac-gateway-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
      s.setExecutor(pool);
      s.createContext("/", this::handle);
      s.start();
      server = s;
    } finally {
      lock.unlock();
    }
    LOG.info("REST gateway listening on https://{}:{}", config.bindAddress.getHostAddress(), port());
    return this;
  }

  /** The port it listens on (the chosen one when configured with 0). */
  int port() {
    HttpsServer s = server;
    if (s == null) {
      throw new IllegalStateException("the gateway is not started");
    }
    return s.getAddress().getPort();
  }

  /**
   * Stops accepting requests, answers new ones on open connections with 503, waits up to the
   * grace period for requests in flight, then closes every connection. Idempotent; restores the
   * interrupt flag if interrupted while waiting.
   */
  @Override
  public void close() {
    HttpsServer s;
    lock.lock();
    try {
      if (closing) {
        return;
      }
      closing = true;
      s = server;
      long remaining = config.shutdownGrace.toNanos();
      while (inFlight > 0 && remaining > 0) {
        remaining = idle.awaitNanos(remaining);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      s = server;
    } finally {
      lock.unlock();
    }
    if (s != null) {
      s.stop(0);
      pool.shutdownNow();
      LOG.info("REST gateway stopped");
    }
  }

  private boolean enter() {
    lock.lock();
    try {
      if (closing) {
        return false;
      }
      inFlight++;
      return true;
    } finally {
      lock.unlock();
    }
  }

  private void leave() {
    lock.lock();
    try {
      if (--inFlight == 0) {
        idle.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  private void handle(HttpExchange exchange) {
    long start = System.nanoTime();
    String method = exchange.getRequestMethod();
    String path = Objects.requireNonNullElse(exchange.getRequestURI().getPath(), "");
    int status = 500;
    try {
      if (!enter()) {
        status = sendError(exchange, new HttpError(503, "the agent is shutting down"));
      } else {
        try {
          status = serve(exchange, method, path);
        } catch (HttpError e) {
          status = sendError(exchange, e);
        } catch (PluginCallException e) {
          status = sendError(exchange,
              StatusMapping.toHttpError(Status.fromCodeValue(e.code().value()).withDescription(e.description())));
        } catch (RuntimeException e) {
          LOG.error("{} {} failed in the gateway", method, path, e);
          status = sendError(exchange, new HttpError(500, "internal error in the REST gateway: " + e));
        } finally {
          leave();
        }
      }
    } finally {
      exchange.close();
    }
    LOG.info("{} {} {} {}ms", method, path, status,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  private int serve(HttpExchange exchange, String method, String path) throws HttpError, PluginCallException {
    BearerTokens.Verdict verdict =
        config.tokens.verifyHeader(exchange.getRequestHeaders().getFirst("Authorization"));
    if (path.equals("/plugins") || path.equals(Routes.PREFIX)) {
      requireToken(verdict);
      if (!method.equals("GET")) {
        throw new HttpError(405, "method " + method + " not allowed on /plugins; allowed: GET",
            Map.of("Allow", "GET"));
      }
      return send(exchange, 200, "application/json", listing(config.backend.plugins()));
    }
    if (AdminRoutes.matches(path)) {
      // Whatever the plugins' endpoints say about security, administration always needs a token.
      requireToken(verdict);
      AdminRoutes.Answer answer = admin.serve(method, path, () -> readBody(exchange));
      answer.headers().forEach(exchange.getResponseHeaders()::set);
      return send(exchange, answer.status(), "application/json", answer.json());
    }
    if (!path.startsWith(Routes.PREFIX)) {
      throw new HttpError(404, "no route " + path
          + "; plugin endpoints are under /plugins, administration under /admin");
    }
    Routes.Route route;
    try {
      route = Routes.resolve(config.backend.plugins(), method, path);
    } catch (HttpError e) {
      requireToken(verdict);
      throw e;
    }
    if (route.endpoint().secure()) {
      requireToken(verdict);
    }
    byte[] body = readBody(exchange);
    Request request = Protos.fromProto(toEndpointRequest(exchange, method, path, body));
    Response response = config.backend.call(route.plugin().name(), route.endpoint().path(), route.action(), request);
    return sendPluginResponse(exchange, Protos.toProto(response));
  }

  private static void requireToken(BearerTokens.Verdict verdict) throws HttpError {
    if (verdict != BearerTokens.Verdict.VALID) {
      String challenge = verdict == BearerTokens.Verdict.MISSING
          ? "Bearer realm=\"dtac\""
          : "Bearer realm=\"dtac\", error=\"invalid_token\"";
      throw new HttpError(401, verdict.message(), Map.of("WWW-Authenticate", challenge));
    }
  }

  private byte[] readBody(HttpExchange exchange) throws HttpError {
    long limit = config.maxBodyBytes;
    String declared = exchange.getRequestHeaders().getFirst("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > limit) {
          throw tooLarge(limit);
        }
      } catch (NumberFormatException e) {
        throw new HttpError(400, "Content-Length is not a number: " + declared);
      }
    }
    byte[] body;
    try {
      // Left open: send() reads it to its end, and the exchange's close() closes it.
      body = exchange.getRequestBody().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
    } catch (IOException e) {
      throw new HttpError(400, "could not read the request body: " + e.getMessage());
    }
    if (body.length > limit) {
      throw tooLarge(limit);
    }
    if (body.length > 0 && isJson(exchange.getRequestHeaders().getFirst("Content-Type"))) {
      try {
        JSON.readTree(body);
      } catch (JsonProcessingException e) {
        throw new HttpError(400, "malformed JSON body: " + e.getOriginalMessage()
            + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr()
                + ", column " + e.getLocation().getColumnNr() + ")"));
      } catch (IOException e) {
        throw new HttpError(400, "malformed JSON body: " + e.getMessage());
      }
    }
    return body;
  }

  private static HttpError tooLarge(long limit) {
    // The unread rest of the body makes the connection unusable: close it after answering.
    return new HttpError(413, "request body larger than the limit of " + limit
        + " bytes (max_body_bytes in the agent's --config file)", Map.of("Connection", "close"));
  }

  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String media = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return media.equals("application/json") || media.endsWith("+json");
  }

  private static EndpointRequest toEndpointRequest(
      HttpExchange exchange, String method, String path, byte[] body) throws HttpError {
    EndpointRequest.Builder r = EndpointRequest.newBuilder().setBody(ByteString.copyFrom(body));
    for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
      if (!h.getKey().equalsIgnoreCase("Authorization")) {
        r.putHeaders(canonicalHeaderName(h.getKey()),
            StringList.newBuilder().addAllValues(h.getValue()).build());
      }
    }
    parseQuery(exchange.getRequestURI().getRawQuery()).forEach((k, v) ->
        r.putParameters(k, StringList.newBuilder().addAllValues(v).build()));
    r.putMetadata("http_method", method);
    r.putMetadata("http_path", path);
    r.putMetadata("remote_address", exchange.getRemoteAddress().getAddress().getHostAddress());
    return r.build();
  }

  /** "content-type" -> "Content-Type", the form Go's net/http (and so most DTAC plugins) use. */
  static String canonicalHeaderName(String name) {
    StringBuilder sb = new StringBuilder(name.length());
    boolean upper = true;
    for (char c : name.toCharArray()) {
      sb.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
      upper = c == '-';
    }
    return sb.toString();
  }

  /**
   * Parses a raw query string into decoded, multi-valued parameters in order.
   *
   * @throws HttpError 400 for a malformed percent-escape
   */
  static Map<String, List<String>> parseQuery(String rawQuery) throws HttpError {
    Map<String, List<String>> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return params;
    }
    try {
      for (String pair : rawQuery.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        params.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
      }
    } catch (IllegalArgumentException e) {
      throw new HttpError(400, "malformed query string: " + e.getMessage());
    }
    return params;
  }

  private int sendPluginResponse(HttpExchange exchange, EndpointResponse response) {
    Headers out = exchange.getResponseHeaders();
    String contentType = null;
    for (Map.Entry<String, StringList> h : response.getHeadersMap().entrySet()) {
      String name = h.getKey();
      if (RESERVED_RESPONSE_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        continue;
      }
      if (name.equalsIgnoreCase("Content-Type")) {
        contentType = h.getValue().getValuesCount() == 0 ? null : h.getValue().getValues(0);
        continue;
      }
      for (String value : h.getValue().getValuesList()) {
        try {
          out.add(name, value);
        } catch (IllegalArgumentException e) {
          LOG.warn("dropped response header '{}' from the plugin: {}", name, e.getMessage());
        }
      }
    }
    byte[] value = response.getValue().toByteArray();
    if (contentType == null && value.length > 0) {
      contentType = looksLikeJson(value) ? "application/json" : "application/octet-stream";
    }
    return send(exchange, 200, contentType, value);
  }

  private static boolean looksLikeJson(byte[] value) {
    try {
      JSON.readTree(value);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** The {@code GET /plugins} answer, sorted by plugin name. */
  static byte[] listing(List<PluginInfo> plugins) {
    return PluginJson.write(PluginJson.listing(plugins, false));
  }

  static byte[] errorBody(HttpError e) {
    ObjectNode o = PluginJson.object();
    o.put("error", e.getMessage());
    o.put("status", e.status());
    return PluginJson.write(o);
  }

  private int sendError(HttpExchange exchange, HttpError e) {
    e.headers().forEach(exchange.getResponseHeaders()::set);
    return send(exchange, e.status(), "application/json", errorBody(e));
  }

  private int send(HttpExchange exchange, int status, String contentType, byte[] body) {
    Headers h = exchange.getResponseHeaders();
    if (contentType != null) {
      h.set("Content-Type", contentType);
    }
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Cache-Control", "no-store");
    discardUnreadBody(exchange);
    try {
      exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      if (body.length > 0) {
        try (OutputStream os = exchange.getResponseBody()) {
          os.write(body);
        }
      }
    } catch (IOException e) {
      LOG.debug("could not answer {} {}: {}", exchange.getRequestMethod(),
          exchange.getRequestURI().getPath(), e.toString());
    }
    return status;
  }

  /**
   * Reads the rest of the request body, up to the body limit, before anything is answered.
   *
   * <p>Answering first (a 401, a 404, a 405: any route that never needed the body) lets the client
   * send its next request on the kept-alive connection while the JDK server is still draining this
   * one's body; over TLS the server can then decrypt the next request into its buffer while
   * draining, fail to notice it there, and wait on the socket for bytes that never come: the
   * client's next request hangs until it times out. Once the body is read here, the client has
   * nothing more to send until it sees the answer. A body larger than the limit, or one that
   * cannot be read, is not worth reading: the connection is closed after the answer instead.
   */
  private void discardUnreadBody(HttpExchange exchange) {
    Headers h = exchange.getResponseHeaders();
    if ("close".equalsIgnoreCase(h.getFirst("Connection"))) {
      return;
    }
    byte[] scrap = new byte[8192];
    long budget = config.maxBodyBytes;
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

  /** Configures a {@link RestGateway}; {@link #build()} validates. */
  static final class Builder {
    private Backend backend;
    private BearerTokens tokens;
    private SSLContext sslContext;
    private InetAddress bindAddress = InetAddress.getLoopbackAddress();
    private int port = 8180;
    private long maxBodyBytes = 1024 * 1024;
    private int threads = 16;
    private Duration shutdownGrace = Duration.ofSeconds(5);

    private Builder() {}

    Builder backend(Backend backend) {
      this.backend = Objects.requireNonNull(backend, "backend");
      return this;
    }

    Builder tokens(BearerTokens tokens) {
      this.tokens = Objects.requireNonNull(tokens, "tokens");
      return this;
    }

    Builder sslContext(SSLContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      return this;
    }

    /** Default: the loopback address, so only this machine reaches the gateway. */
    Builder bindAddress(InetAddress address) {
      this.bindAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    /** Default 8180; 0 picks a free port. */
    Builder port(int port) {
      this.port = port;
      return this;
    }

    /** The largest request body accepted; larger is 413. Default 1 MiB. */
    Builder maxBodyBytes(long bytes) {
      this.maxBodyBytes = bytes;
      return this;
    }

    /** Requests served at once (each blocks a thread while its plugin works). Default 16. */
    Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /** How long {@link RestGateway#close()} waits for requests in flight. Default 5 s. */
    Builder shutdownGrace(Duration grace) {
      this.shutdownGrace = Objects.requireNonNull(grace, "grace");
      return this;
    }

    /** @throws IllegalArgumentException naming the missing or invalid setting */
    RestGateway build() {
      if (backend == null || tokens == null || sslContext == null) {
        throw new IllegalArgumentException("a RestGateway needs a backend, tokens and an sslContext");
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0 (a free one) to 65535, got " + port);
      }
      if (maxBodyBytes < 0) {
        throw new IllegalArgumentException("maxBodyBytes must not be negative, got " + maxBodyBytes);
      }
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1, got " + threads);
      }
      if (shutdownGrace.isNegative()) {
        throw new IllegalArgumentException("shutdownGrace must not be negative, got " + shutdownGrace);
      }
      return new RestGateway(this);
    }
  }
}
