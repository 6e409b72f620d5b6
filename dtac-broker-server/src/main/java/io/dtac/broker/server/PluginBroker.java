package io.dtac.broker.server;

import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.ListPluginsResponse;
import io.dtac.broker.server.internal.AgentServiceImpl;
import io.dtac.broker.server.internal.CallRouter;
import io.dtac.broker.server.internal.CallerAuthInterceptor;
import io.dtac.broker.server.internal.CredentialStore;
import io.dtac.broker.server.internal.LoadedPlugin;
import io.dtac.broker.server.internal.PluginDiscovery;
import io.dtac.broker.server.internal.PluginLauncher;
import io.dtac.broker.server.internal.PluginRegistry;
import io.dtac.broker.server.internal.Transports;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent side of plugin-to-plugin calls: launches the plugins of a directory, keeps the
 * registry of loaded plugins, and serves {@code AgentService} so that plugins call each other
 * through it (plugin A -> broker -> plugin B).
 *
 * <pre>{@code
 * try (PluginBroker broker = PluginBroker.builder().pluginDirectory(Path.of("plugins")).build()) {
 *   broker.start();
 *   broker.plugins().forEach(System.out::println);
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #start()} may be called once; {@link #close()} stops every plugin
 * process and the broker's server, and is idempotent. A plugin that fails to load is reported
 * (logged, and listed by {@link #plugins()} as FAILED with the reason) while the others load.
 */
public final class PluginBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PluginBroker.class);

  private enum Lifecycle { NEW, STARTED, CLOSED }

  private final Builder config;
  private final PluginRegistry registry;
  private final CallRouter router;
  private final CredentialStore credentials = new CredentialStore();
  private final HealthStatusManager health = new HealthStatusManager();
  private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.NEW);
  private volatile Server server;
  private volatile Server unixServer;
  private volatile Transports transports = Transports.tcpOnly();
  private volatile PluginLauncher launcher;

  private PluginBroker(Builder b) {
    this.config = b;
    this.registry = new PluginRegistry(b.listeners);
    this.router = new CallRouter(registry, b.callTimeout);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the broker's gRPC server on loopback and loads every {@code *.plugin} file of the
   * plugin directory, in parallel; returns when each has reached RUNNING or FAILED.
   *
   * @return this broker
   * @throws IOException if the server cannot bind or the plugin directory cannot be read
   * @throws IllegalStateException if called twice or after {@link #close()}
   */
  public PluginBroker start() throws IOException {
    if (!lifecycle.compareAndSet(Lifecycle.NEW, Lifecycle.STARTED)) {
      throw new IllegalStateException("PluginBroker.start() may be called only once, before close()");
    }
    ServerServiceDefinition agentService =
        ServerInterceptors.intercept(
            new AgentServiceImpl(router, registry), new CallerAuthInterceptor(credentials));
    server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(config.host, config.port), InsecureServerCredentials.create())
            // Handlers and interceptors never block (routing is asynchronous): running them on the
            // transport thread saves a thread hop per call.
            .directExecutor()
            .addService(agentService)
            .addService(health.getHealthService())
            .build()
            .start();
    LOG.info("plugin broker listening on {}", brokerAddress());
    startUnixTransport(agentService);
    launcher =
        new PluginLauncher(
            registry,
            new PluginLauncher.Settings(
                brokerAddress(),
                config.defaultSecure,
                config.handshakeTimeout,
                config.stopTimeout,
                transports.pluginEnvironment(config.environment)),
            credentials,
            transports);
    if (config.pluginDirectory != null) {
      loadAll(PluginDiscovery.find(config.pluginDirectory));
    }
    return this;
  }

  /** Unix domain sockets to the plugins that take them, when enabled and available; see {@link Transports}. */
  private void startUnixTransport(ServerServiceDefinition agentService) {
    transports = Transports.open(config.unixSockets, config.socketDirectory);
    try {
      unixServer =
          transports.startUnixServer(
              InsecureServerCredentials.create(), agentService, health.getHealthService().bindService());
      if (unixServer != null) {
        LOG.info("plugin broker also listening on unix:{}", transports.socketDirectory());
      }
    } catch (IOException e) {
      LOG.warn("plugins connect over loopback TCP: the broker cannot listen on a Unix socket: {}", e.toString());
      transports.close();
      transports = Transports.tcpOnly();
    }
  }

  private void closeUnixTransport() {
    Server u = unixServer;
    if (u != null) {
      u.shutdownNow();
      try {
        u.awaitTermination(config.stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Transports t = transports;
    if (t != null) {
      t.close();
    }
  }

  private void loadAll(List<Path> files) {
    if (files.isEmpty()) {
      LOG.warn("no *.plugin files in {}", config.pluginDirectory.toAbsolutePath());
      return;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(files.size(), 8), r -> {
      Thread t = new Thread(r, "dtac-plugin-loader");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> loads = new ArrayList<>();
      for (Path file : files) {
        PluginConfig pc = config.pluginConfigs.getOrDefault(
            PluginDiscovery.stem(file), PluginConfig.defaults(PluginDiscovery.stem(file)));
        if (!pc.enabled()) {
          LOG.info("plugin file {} is disabled by configuration; not launched", file.getFileName());
          continue;
        }
        loads.add(pool.submit(() -> launcher.load(file, pc)));
      }
      for (Future<?> f : loads) {
        f.get();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      throw new IllegalStateException("plugin loader failed unexpectedly", e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The address plugins reach the broker at, "127.0.0.1:PORT", as sent in
   * {@code RegisterRequest.broker_address}.
   *
   * @throws IllegalStateException before {@link #start()}
   */
  public String brokerAddress() {
    Server s = server;
    if (s == null) {
      throw new IllegalStateException("the broker is not started");
    }
    InetSocketAddress a = (InetSocketAddress) s.getListenSockets().get(0);
    return a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  /** Every plugin: loaded ones in load order, then files that failed before their handshake. */
  public List<PluginInfo> plugins() {
    return registry.snapshot();
  }

  /** The plugin named {@code name} (case-sensitive). */
  public Optional<PluginInfo> plugin(String name) {
    LoadedPlugin p = registry.get(name);
    return p == null ? Optional.empty() : Optional.of(p.snapshot());
  }

  /** What {@code AgentService.ListPlugins} answers: the loaded plugins and their endpoints. */
  public ListPluginsResponse listPlugins() {
    return AgentServiceImpl.list(registry);
  }

  /**
   * Calls a plugin endpoint directly, as the host application (e.g. a REST gateway), with the
   * broker's routing, checks and deadline. Blocks the calling thread.
   *
   * @param pluginName the plugin's name, e.g. "HelloPlugin"
   * @param path the endpoint's path, e.g. "hello"
   * @param action "create", "read", "write" or "delete"
   * @throws StatusRuntimeException with the routing status (NOT_FOUND, INVALID_ARGUMENT,
   *     UNAVAILABLE, DEADLINE_EXCEEDED) or the plugin's own
   */
  public EndpointResponse call(String pluginName, String path, String action, EndpointRequest request) {
    try {
      return callAsync(pluginName, path, action, request).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    } catch (ExecutionException e) {
      throw Status.fromThrowable(e.getCause()).asRuntimeException();
    }
  }

  /** Like {@link #call}, without blocking; the future fails with a {@link StatusRuntimeException}. */
  public CompletableFuture<EndpointResponse> callAsync(
      String pluginName, String path, String action, EndpointRequest request) {
    Objects.requireNonNull(pluginName, "pluginName");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(request, "request");
    if (lifecycle.get() != Lifecycle.STARTED) {
      return CompletableFuture.failedFuture(
          Status.UNAVAILABLE.withDescription("the broker is not running").asRuntimeException());
    }
    CompletableFuture<EndpointResponse> result = new CompletableFuture<>();
    var routed = router.route(pluginName, path, action, request);
    routed.addListener(
        () -> {
          try {
            result.complete(routed.get());
          } catch (ExecutionException e) {
            result.completeExceptionally(e.getCause());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.completeExceptionally(e);
          }
        },
        Runnable::run);
    return result;
  }

  /**
   * Stops every plugin (SIGTERM, then SIGKILL after the stop timeout, children included) and the
   * broker's server. Idempotent; blocks until the processes are gone. If interrupted, finishes
   * killing and restores the interrupt flag.
   */
  @Override
  public void close() {
    Lifecycle previous = lifecycle.getAndSet(Lifecycle.CLOSED);
    if (previous == Lifecycle.CLOSED) {
      return;
    }
    Server s = server;
    if (s != null) {
      s.shutdown();
    }
    Server u = unixServer;
    if (u != null) {
      u.shutdown();
    }
    health.enterTerminalState();
    PluginLauncher l = launcher;
    if (l != null) {
      List<CompletableFuture<Void>> stops = new ArrayList<>();
      for (LoadedPlugin p : registry.plugins()) {
        stops.add(CompletableFuture.runAsync(() -> l.stop(p), r -> {
          Thread t = new Thread(r, "dtac-plugin-stop-" + p.name());
          t.setDaemon(true);
          t.start();
        }));
      }
      stops.forEach(CompletableFuture::join);
    }
    if (s != null) {
      try {
        if (!s.awaitTermination(config.stopTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
          s.shutdownNow();
        }
      } catch (InterruptedException e) {
        s.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    closeUnixTransport();
    LOG.info("plugin broker stopped");
  }

  /**
   * Configures a {@link PluginBroker}. Values are validated by {@link #build()}; a built broker's
   * configuration does not change.
   */
  public static final class Builder {
    private Path pluginDirectory;
    private final Map<String, PluginConfig> pluginConfigs = new LinkedHashMap<>();
    private String host = "127.0.0.1";
    private int port = 0;
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private Duration callTimeout = Duration.ofSeconds(30);
    private Duration stopTimeout = Duration.ofSeconds(5);
    private boolean defaultSecure = true;
    private boolean unixSockets = true;
    private Path socketDirectory;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final List<PluginStateListener> listeners = new ArrayList<>();

    private Builder() {}

    /** The directory whose {@code *.plugin} files are launched; none: no plugins are launched. */
    public Builder pluginDirectory(Path dir) {
      this.pluginDirectory = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /** Configures one plugin file; a later call for the same file replaces an earlier one. */
    public Builder pluginConfig(PluginConfig pluginConfig) {
      pluginConfigs.put(pluginConfig.fileStem(), pluginConfig);
      return this;
    }

    /** The address the broker's gRPC server binds; default 127.0.0.1 (loopback only). */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /** The broker's port; default 0, an ephemeral port. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /**
     * How long a plugin has to print its handshake line, and then to answer Register; default
     * 10 s (a JVM plugin on a loaded machine needs more than the Go agent's 2 s).
     */
    public Builder handshakeTimeout(Duration timeout) {
      this.handshakeTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** The deadline of a brokered call whose caller set none; default 30 s. */
    public Builder callTimeout(Duration timeout) {
      this.callTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** How long a plugin has to exit after SIGTERM before it is killed; default 5 s. */
    public Builder stopTimeout(Duration timeout) {
      this.stopTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** Sent to plugins as {@code RegisterRequest.default_secure}; default true. */
    public Builder defaultSecure(boolean secure) {
      this.defaultSecure = secure;
      return this;
    }

    /**
     * Whether plugins that support it connect over Unix domain sockets (Linux with native epoll;
     * elsewhere always TCP); default true. Plugins that do not support it, such as existing Go
     * plugins, connect over loopback TCP either way. See docs/BENCHMARKS.md for what it saves.
     */
    public Builder unixSockets(boolean enabled) {
      this.unixSockets = enabled;
      return this;
    }

    /**
     * Where the broker creates its private socket directory (deleted by {@link
     * PluginBroker#close()}); default: the system's temporary directory. Socket paths are limited
     * to 107 bytes: with a longer path the broker falls back to TCP.
     */
    public Builder socketDirectory(Path parent) {
      this.socketDirectory = Objects.requireNonNull(parent, "parent");
      return this;
    }

    /** An extra environment variable for every plugin process. */
    public Builder environment(String name, String value) {
      environment.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** Observes every plugin state change. */
    public Builder listener(PluginStateListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** @throws IllegalArgumentException naming the first invalid setting */
    public PluginBroker build() {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0 (ephemeral) to 65535, got " + port);
      }
      requirePositive("handshakeTimeout", handshakeTimeout);
      requirePositive("callTimeout", callTimeout);
      requirePositive("stopTimeout", stopTimeout);
      return new PluginBroker(copy());
    }

    /** A snapshot, so that changing this builder later does not change a built broker. */
    private Builder copy() {
      Builder c = new Builder();
      c.pluginDirectory = pluginDirectory;
      c.pluginConfigs.putAll(pluginConfigs);
      c.host = host;
      c.port = port;
      c.handshakeTimeout = handshakeTimeout;
      c.callTimeout = callTimeout;
      c.stopTimeout = stopTimeout;
      c.defaultSecure = defaultSecure;
      c.unixSockets = unixSockets;
      c.socketDirectory = socketDirectory;
      c.environment.putAll(environment);
      c.listeners.addAll(listeners);
      return c;
    }

    private static void requirePositive(String name, Duration d) {
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
    }
  }
}
