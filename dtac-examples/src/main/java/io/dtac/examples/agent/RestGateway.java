package io.dtac.examples.agent;

import io.dtac.core.PluginCallException;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The example agent's REST gateway: HTTPS in front of the plugins the broker runs.
 *
 * <ul>
 *   <li>{@code GET /plugins} lists the plugins, their state and endpoints (JSON).
 *   <li>{@code METHOD /plugins/ROOT_PATH/PATH} calls that endpoint (POST create, GET read, PUT
 *       write, DELETE delete), as {@link EndpointMapping} maps it.
 *   <li>Endpoints marked secure, and the listing, need {@code Authorization: Bearer TOKEN}; an
 *       unauthenticated caller learns nothing about the routes but a 401 ({@link GatewayRouter}).
 *   <li>Under {@code /admin}, {@link AdminRoutes} loads, unloads and reloads plugins and reloads
 *       the access policy; every admin route needs a token.
 *   <li>{@code GET /health} tells whether the agent is live and ready ({@link HealthRoute}).
 *   <li>Every error is {@code {"error": "...", "status": N}} ({@link HttpError}).
 * </ul>
 *
 * <p>This class wires those parts to a {@link GatewayServer} ({@link JettyHttpsServer}, which
 * bounds connections and their time as {@link GatewayLimits} say) and owns what holds for every
 * request: until the agent is ready (its {@link Builder#readiness readiness} says so) it is
 * answered 503 with {@code Retry-After}; it is admitted unless the gateway is closing; it takes one
 * of the {@link RequestSlots} (its client's fair share of {@code threads}) or is refused at once;
 * it is answered whatever fails (a bug is a logged 500), and written to the access log once
 * (method, path, status, time; never a token or a query string). A plugin call blocks one pool
 * thread until it answers or its deadline passes. {@link #start()} once; {@link #close()} is
 * idempotent and waits a grace period for requests in flight.
 */
final class RestGateway implements AutoCloseable {
  /** What a request gets while the gateway closes. */
  static final String STOPPING_MESSAGE = "the agent is shutting down";

  private static final Logger LOG = LoggerFactory.getLogger(RestGateway.class);

  private final Builder config;
  private final GatewayLimits limits;
  private final BearerAuth auth;
  private final GatewayRouter router;
  private final RequestSlots slots;
  private final GatewayTracing tracing;
  private final InFlightRequests inFlight = new InFlightRequests();
  private volatile GatewayServer server;
  /** Latched: once the readiness check has said yes, it is not asked again. */
  private volatile boolean ready;

  private RestGateway(Builder b, GatewayLimits limits) {
    this.config = b;
    this.limits = limits;
    this.auth = new BearerAuth(b.tokens);
    this.router = new GatewayRouter(b.backend, auth, new RequestBody(b.maxBodyBytes));
    this.slots = new RequestSlots(limits.threads(), limits.maxRequestsPerClient());
    this.tracing = new GatewayTracing(b.openTelemetry);
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
    // Under the gateway's lock, so that close() either sees the server or makes this throw.
    synchronized (this) {
      if (server != null || inFlight.isClosed()) {
        throw new IllegalStateException("RestGateway.start() may be called once, before close()");
      }
      server = JettyHttpsServer.start(new InetSocketAddress(config.bindAddress, config.port),
          config.sslContext, limits, this::handle);
    }
    LOG.info("REST gateway listening on https://{}:{}", config.bindAddress.getHostAddress(), port());
    return this;
  }

  /** The port it listens on (the chosen one when configured with 0). */
  int port() {
    GatewayServer s = server;
    if (s == null) {
      throw new IllegalStateException("the gateway is not started");
    }
    return s.port();
  }

  /**
   * Stops accepting requests, answers new ones on open connections with 503, waits up to the
   * grace period for requests in flight, then closes every connection. Idempotent; restores the
   * interrupt flag if interrupted while waiting.
   */
  @Override
  public void close() {
    try {
      if (!inFlight.close(config.shutdownGrace)) {
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    GatewayServer s;
    synchronized (this) {
      s = server;
    }
    if (s != null) {
      s.stop();
      LOG.info("REST gateway stopped");
    }
  }

  private void handle(HttpCall call) {
    long start = System.nanoTime();
    int status = tracing.traced(call, () -> serve(call));
    LOG.info("{} {} {} {}ms", call.method(), call.path(), status,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  /** Answers {@code call} whatever fails; returns the status sent. */
  private int serve(HttpCall call) {
    int status = 500;
    if (HealthRoute.matches(call.path())) {
      status = health(call);
    } else if (!inFlight.enter()) {
      status = ResponseWriter.error(call, new HttpError(503, STOPPING_MESSAGE));
    } else {
      try {
        if (!isReady()) {
          throw HealthRoute.starting();
        }
        try (RequestSlots.Slot slot = slots.enter(clientOf(call))) {
          status = router.serve(call);
        }
      } catch (HttpError e) {
        status = ResponseWriter.error(call, e);
      } catch (PluginCallException e) {
        status = ResponseWriter.error(call, StatusMapping.toHttpError(e));
      } catch (RuntimeException e) {
        LOG.error("{} {} failed in the gateway", call.method(), call.path(), e);
        status = ResponseWriter.error(call, new HttpError(500, "internal error in the REST gateway: " + e));
      } finally {
        inFlight.leave();
      }
    }
    return status;
  }

  private int health(HttpCall call) {
    HealthRoute.State state = inFlight.isClosed() ? HealthRoute.State.STOPPING
        : isReady() ? HealthRoute.State.READY : HealthRoute.State.STARTING;
    try {
      return ResponseWriter.json(call, HealthRoute.answer(call.method(), state));
    } catch (HttpError e) {
      return ResponseWriter.error(call, e);
    }
  }

  private boolean isReady() {
    if (!ready && config.readiness.getAsBoolean()) {
      ready = true;
    }
    return ready;
  }

  /**
   * Whose share of the slots a request takes: its bearer token's when valid (a token is a client,
   * wherever it connects from), else its address's.
   */
  private String clientOf(HttpCall call) {
    return auth.verify(call) == BearerTokens.Verdict.VALID
        ? "token " + call.requestHeader(BearerAuth.HEADER)
        : "address " + call.remoteAddress();
  }

  /** Configures a {@link RestGateway}; {@link #build()} validates. */
  static final class Builder {
    private GatewayBackend backend;
    private BearerTokens tokens;
    private SSLContext sslContext;
    private InetAddress bindAddress = InetAddress.getLoopbackAddress();
    private int port = 8180;
    private long maxBodyBytes = 1024 * 1024;
    private Integer threads;
    private GatewayLimits limits;
    private BooleanSupplier readiness = () -> true;
    private Duration shutdownGrace = Duration.ofSeconds(5);
    private OpenTelemetry openTelemetry = OpenTelemetry.noop();

    private Builder() {}

    Builder backend(GatewayBackend backend) {
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

    /**
     * Requests served at once (each blocks a thread while its plugin works), every other limit at
     * its default: a shorthand for {@link #limits}, not to be combined with it. Default 16.
     */
    Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /** Connections, request slots and timeouts. Default {@link GatewayLimits#defaults()}. */
    Builder limits(GatewayLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * Whether the agent is ready to route requests; until it says so, every request but {@code GET
     * /health} is answered 503 with {@code Retry-After}. Asked on request threads until it first
     * answers true, never after. Default: ready at once.
     */
    Builder readiness(BooleanSupplier readiness) {
      this.readiness = Objects.requireNonNull(readiness, "readiness");
      return this;
    }

    /** Traces each request with this OpenTelemetry (see {@link GatewayTracing}). Default: no-op. */
    Builder openTelemetry(OpenTelemetry openTelemetry) {
      this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
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
      if (threads != null && limits != null) {
        throw new IllegalArgumentException("set threads in the GatewayLimits given to limits(), not both");
      }
      if (shutdownGrace.isNegative()) {
        throw new IllegalArgumentException("shutdownGrace must not be negative, got " + shutdownGrace);
      }
      GatewayLimits l = limits != null ? limits
          : threads != null ? GatewayLimits.builder().threads(threads).build()
          : GatewayLimits.defaults();
      return new RestGateway(this, l);
    }
  }
}
