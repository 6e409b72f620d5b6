package io.dtac.broker.server;

import io.dtac.core.internal.Protos;
import io.dtac.core.StatusCode;
import io.dtac.core.Response;
import io.dtac.core.Request;
import io.dtac.core.PluginCallException;
import io.dtac.core.Action;
import com.google.common.util.concurrent.ListenableFuture;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.server.internal.AgentServiceChain;
import io.dtac.broker.server.internal.AgentServiceImpl;
import io.dtac.broker.server.internal.AuditLog;
import io.dtac.broker.server.internal.CallChains;
import io.dtac.broker.server.internal.CallGate;
import io.dtac.broker.server.internal.CallRouter;
import io.dtac.broker.server.internal.CallerAuthInterceptor;
import io.dtac.broker.server.internal.CallerIdentity;
import io.dtac.broker.server.internal.CredentialStore;
import io.dtac.broker.server.internal.HealthMonitor;
import io.dtac.broker.api.peer.PeerAttestation;
import io.dtac.broker.api.peer.TcpSocketOwner;
import io.dtac.broker.server.internal.LaunchedProcesses;
import io.dtac.broker.server.internal.LoadedPlugin;
import io.dtac.broker.server.internal.MetadataLimitInterceptor;
import io.dtac.broker.server.internal.PluginDiscovery;
import io.dtac.broker.server.internal.PluginLauncher;
import io.dtac.broker.server.internal.PluginRegistry;
import io.dtac.broker.server.internal.PluginSupervisor;
import io.dtac.broker.server.internal.PolicyEngine;
import io.dtac.broker.server.internal.ShutdownGate;
import io.dtac.broker.server.internal.TlsMaterial;
import io.dtac.broker.server.internal.Transports;
import io.grpc.Context;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.health.v1.HealthCheckResponse;
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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
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
 *
 * <p>Transport: plugins that support it connect over a Unix domain socket in a private directory
 * the broker creates and deletes ({@link Builder#unixSockets(boolean)}); others over loopback TCP.
 * The broker's gRPC handlers and interceptors run on its transport threads (direct executor) and
 * must never block; routed calls complete on the transport thread too (docs/BENCHMARKS.md).
 *
 * <p>Security (see the README's Security section): plugins authenticate to the broker with a
 * credential issued at launch; an {@link AccessPolicy} decides who may call whom; traffic between
 * the agent and its plugins is mutually authenticated TLS with certificates made for the run
 * (unless {@link Builder#tls(boolean) tls(false)}); every brokered call leaves one audit record
 * on the SLF4J logger {@code dtac.audit} and, optionally, in a JSON-lines file.
 *
 * <p>Reliability (see the README's Reliability section): every brokered call has a deadline
 * ({@link Builder#callTimeout}); call cycles and chains deeper than {@link Builder#maxCallDepth}
 * are refused; a plugin whose process ends or that stops answering health checks is FAILED and
 * restarted with exponential backoff ({@link Builder#restartBackoff}, {@link
 * Builder#maxRestarts}); plugins can be loaded, unloaded and reloaded at runtime; {@link #close()}
 * lets calls in flight finish first.
 */
public final class PluginBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PluginBroker.class);

  private enum Lifecycle { NEW, STARTED, CLOSED }

  private final Builder config;
  private final PluginRegistry registry;
  private final CallRouter router;
  private final CredentialStore credentials = new CredentialStore();
  /** The launched processes, when the kernel attests callers; null when credentials do. */
  private final LaunchedProcesses processes;
  private final PolicyEngine policy;
  private final TlsMaterial tls;
  private final AuditLog audit;
  private final CallGate gate;
  private final HealthStatusManager health = new HealthStatusManager();
  private final CallChains chains;
  private final ShutdownGate shutdownGate = new ShutdownGate();
  private final ScheduledExecutorService timer;
  private final ThreadPoolExecutor worker;
  private final PluginSupervisor supervisor;
  private volatile HealthMonitor healthMonitor;
  private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.NEW);
  private volatile Server server;
  private volatile Server unixServer;
  private volatile Transports transports = Transports.tcpOnly();
  private volatile PluginLauncher launcher;

  private PluginBroker(Builder b, PolicyEngine policy, TlsMaterial tls) {
    this.config = b;
    this.processes = b.kernelIdentityInEffect() ? new LaunchedProcesses() : null;
    this.chains = new CallChains(b.maxCallDepth);
    ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, daemon("dtac-broker-timer"));
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
    // Restarts block for a handshake; idle threads go away quickly so none outlive their work.
    this.worker =
        new ThreadPoolExecutor(
            0, Integer.MAX_VALUE, 1, TimeUnit.SECONDS, new SynchronousQueue<>(), daemon("dtac-plugin-restart"));
    this.supervisor =
        new PluginSupervisor(
            new PluginSupervisor.Policy(b.restartInitialDelay, b.restartMaxDelay, b.maxRestarts, b.restartWindow),
            timer,
            worker);
    List<PluginStateListener> listeners = new ArrayList<>(b.listeners);
    listeners.add(supervisor);
    this.registry = new PluginRegistry(listeners);
    this.router = new CallRouter(registry, b.callTimeout, chains, shutdownGate, b.maxMessageSize);
    this.policy = policy;
    this.tls = tls;
    this.audit = new AuditLog(b.auditFile);
    this.gate = new CallGate(router, policy, audit);
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
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
    audit.open();
    if (config.watchAccessPolicyFile) {
      policy.startWatching();
    }
    ServerServiceDefinition agentService =
        AgentServiceChain.of(
            new AgentServiceImpl(gate, registry),
            new CallerAuthInterceptor(processes, credentials, tls == null ? null : tls.issued(), audit),
            chains,
            audit);
    ServerCredentials serverCredentials =
        tls == null ? InsecureServerCredentials.create() : tls.serverCredentials();
    if (processes != null) {
      serverCredentials = PeerAttestation.server(serverCredentials, processes::candidates);
    }
    server =
        configure(
                NettyServerBuilder.forAddress(
                    new InetSocketAddress(config.host, config.port), serverCredentials),
                agentService)
            .build()
            .start();
    LOG.info("plugin broker listening on {}", brokerAddress());
    startUnixTransport(agentService, serverCredentials);
    launcher =
        new PluginLauncher(
            registry,
            new PluginLauncher.Settings(
                brokerAddress(),
                config.defaultSecure,
                config.handshakeTimeout,
                config.stopTimeout,
                transports.pluginEnvironment(config.environment),
                config.maxMessageSize),
            credentials,
            tls,
            transports,
            processes);
    supervisor.start(registry, launcher);
    if (config.pluginDirectory != null) {
      loadAll(PluginDiscovery.find(config.pluginDirectory));
    }
    healthMonitor =
        new HealthMonitor(
            registry,
            timer,
            config.healthCheckInterval,
            config.healthCheckTimeout,
            config.healthCheckFailures,
            launcher::failUnresponsive);
    healthMonitor.start();
    return this;
  }

  /** The broker's settings and services, for its TCP and its Unix-socket listener alike. */
  private NettyServerBuilder configure(NettyServerBuilder b, ServerServiceDefinition agentService) {
    return b.maxInboundMessageSize(config.maxMessageSize)
        .maxInboundMetadataSize(MetadataLimitInterceptor.TRANSPORT_MAX_BYTES)
        // Handlers and interceptors never block (routing is asynchronous, audit only enqueues):
        // running them on the transport thread saves a thread hand-off per call.
        .directExecutor()
        .addService(agentService)
        .addService(health.getHealthService());
  }

  /** Unix domain sockets to the plugins that take them, when enabled and available; see {@link Transports}. */
  private void startUnixTransport(ServerServiceDefinition agentService, ServerCredentials credentials) {
    transports = Transports.open(config.unixSockets, config.socketDirectory);
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
        PluginConfig pc = configFor(file);
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

  private PluginConfig configFor(Path file) {
    String stem = PluginDiscovery.stem(file);
    return config.pluginConfigs.getOrDefault(stem, PluginConfig.defaults(stem));
  }

  /**
   * Loads one more plugin file at runtime, with the configuration the builder has for it (or the
   * defaults). Blocks until it is RUNNING or FAILED.
   *
   * @return the plugin: RUNNING, or FAILED with the reason (for example a duplicate name)
   * @throws IllegalStateException before {@link #start()} or after {@link #close()}
   */
  public PluginInfo load(Path file) {
    return load(file, configFor(Objects.requireNonNull(file, "file")));
  }

  /** Like {@link #load(Path)}, with {@code pluginConfig}; it is loaded even if not enabled. */
  public PluginInfo load(Path file, PluginConfig pluginConfig) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(pluginConfig, "pluginConfig");
    requireRunning();
    registry.forgetFailures(file);
    LoadedPlugin loaded = launcher.load(file, pluginConfig);
    if (loaded != null) {
      return loaded.snapshot();
    }
    return registry.latestFor(file)
        .orElseGet(() -> new PluginInfo(file.getFileName().toString(), PluginDiscovery.stem(file),
            PluginState.FAILED, List.of(), file, 0, "load was interrupted"));
  }

  /**
   * Stops a plugin (SIGTERM, then SIGKILL after the stop timeout) and forgets it: it is no longer
   * listed, called or restarted. Calls in flight to it fail with UNAVAILABLE.
   *
   * @return its final state (STOPPED), or empty if no plugin has that name
   * @throws IllegalStateException before {@link #start()} or after {@link #close()}
   */
  public Optional<PluginInfo> unload(String name) {
    Objects.requireNonNull(name, "name");
    requireRunning();
    return supervisor.unload(name);
  }

  /**
   * Restarts a plugin from its file (which may have changed) with the same configuration; its
   * restart budget starts afresh. Works on FAILED plugins too. Blocks until it is RUNNING or
   * FAILED; meanwhile calls to it fail with UNAVAILABLE (RESTARTING).
   *
   * @return the plugin afterwards, or empty if no plugin has that name
   * @throws IllegalStateException before {@link #start()} or after {@link #close()}
   */
  public Optional<PluginInfo> reload(String name) {
    Objects.requireNonNull(name, "name");
    requireRunning();
    return supervisor.reload(name);
  }

  private void requireRunning() {
    if (lifecycle.get() != Lifecycle.STARTED || launcher == null) {
      throw new IllegalStateException("the broker is not running (start() it first; it cannot be used after close())");
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

  /**
   * The access policy in force: the builder's, the file's as last (re)loaded, or {@link
   * AccessPolicy#allowAll()}.
   */
  public AccessPolicy accessPolicy() {
    return policy.current();
  }

  /**
   * Re-reads the access policy file now; calls that start afterwards are decided by it. Without
   * {@link Builder#watchAccessPolicyFile(boolean) watching}, this is how a changed file takes
   * effect.
   *
   * @return the policy now in force
   * @throws IllegalStateException if the broker has no access policy file
   * @throws IllegalArgumentException if the file is unreadable or invalid; the previous policy
   *     stays in force
   */
  public AccessPolicy reloadAccessPolicy() {
    return policy.reload();
  }

  /**
   * The PEM certificate of the CA that issued the broker's and plugins' certificates, for clients
   * that must trust the broker; empty when TLS is off. The broker itself trusts no certificate for
   * being the CA's: it accepts only the client certificates it issued to plugin launches.
   */
  public Optional<String> tlsAuthorityCertificate() {
    return tls == null ? Optional.empty() : Optional.of(tls.caPem());
  }

  /**
   * Calls endpoint {@code (path, action)} of plugin {@code pluginName} as the host application
   * (e.g. a REST gateway), with the broker's routing, checks and deadline ({@link
   * Builder#callTimeout}). Blocks the calling thread. The call is audited with caller "agent"; the
   * access policy does not apply to the host.
   *
   * @param pluginName the plugin's name, e.g. "HelloPlugin"
   * @param path the endpoint's path, e.g. "hello"
   * @throws PluginCallException with the routing status (NOT_FOUND, INVALID_ARGUMENT, UNAVAILABLE,
   *     DEADLINE_EXCEEDED, ...) or the plugin's own; CANCELLED if the thread is interrupted (its
   *     interrupt flag is then set again and the call cancelled)
   */
  public Response call(String pluginName, String path, Action action, Request request) throws PluginCallException {
    return call(pluginName, path, action, request, null);
  }

  /**
   * Like {@link #call(String, String, Action, Request)}, failing with DEADLINE_EXCEEDED when
   * {@code timeout} passes first (the target's work is then cancelled); null: the current gRPC
   * context's deadline, else the broker's {@link Builder#callTimeout}.
   */
  public Response call(String pluginName, String path, Action action, Request request, Duration timeout)
      throws PluginCallException {
    CompletableFuture<Response> f = callAsync(pluginName, path, action, request, timeout);
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new PluginCallException(StatusCode.CANCELLED, "interrupted while waiting for plugin '" + pluginName + "'");
    } catch (ExecutionException e) {
      throw Protos.toException(e.getCause());
    }
  }

  /**
   * Like {@link #call(String, String, Action, Request)}, without blocking: the future completes on
   * the broker's transport thread that receives the answer (do not block in a stage that runs
   * there; use the {@code *Async} stages with an executor of your own for slow work) and fails
   * with a {@link PluginCallException}.
   */
  public CompletableFuture<Response> callAsync(String pluginName, String path, Action action, Request request) {
    return callAsync(pluginName, path, action, request, null);
  }

  /**
   * Like {@link #callAsync(String, String, Action, Request)} with a timeout (null: the current gRPC
   * context's deadline, else the broker's {@link Builder#callTimeout}). Cancelling the future
   * cancels the routed call: the target's work is cancelled too.
   */
  public CompletableFuture<Response> callAsync(
      String pluginName, String path, Action action, Request request, Duration timeout) {
    Objects.requireNonNull(pluginName, "pluginName");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(request, "request");
    if (lifecycle.get() == Lifecycle.NEW) {
      return CompletableFuture.failedFuture(
          new PluginCallException(StatusCode.UNAVAILABLE, "the broker is not started"));
    }
    CompletableFuture<Response> result = new CompletableFuture<>();
    // Only the host holds this path: its calls are host calls because they come this way,
    // whatever name anything claims. The cancellable context lets cancelling the future cancel
    // the routed call.
    Context.CancellableContext cancellable = Context.current().withCancellation();
    Context host = CallerIdentity.asHost(cancellable);
    Context previous = host.attach();
    ListenableFuture<EndpointResponse> routed;
    try {
      routed = gate.call(pluginName, path, action.wireName(), Protos.toProto(request), timeout);
    } finally {
      host.detach(previous);
    }
    routed.addListener(
        () -> {
          try {
            result.complete(Protos.fromProto(routed.get()));
          } catch (ExecutionException e) {
            result.completeExceptionally(Protos.toException(e.getCause()));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.completeExceptionally(new PluginCallException(StatusCode.CANCELLED, "interrupted"));
          }
        },
        Runnable::run);
    result.whenComplete((r, t) -> {
      if (result.isCancelled()) {
        routed.cancel(true);
      }
      cancellable.cancel(null);
    });
    return result;
  }

  /**
   * Shuts down gracefully: refuses new calls (UNAVAILABLE; the broker's health turns
   * NOT_SERVING), lets calls in flight finish for up to {@link Builder#drainTimeout} (including
   * the nested calls they make), stops restarting plugins, then stops every plugin (SIGTERM, then
   * SIGKILL after the stop timeout, children included) and the broker's server. Idempotent;
   * blocks until the processes are gone. If interrupted, finishes killing and restores the
   * interrupt flag.
   */
  @Override
  public void close() {
    Lifecycle previous = lifecycle.getAndSet(Lifecycle.CLOSED);
    if (previous == Lifecycle.CLOSED) {
      return;
    }
    health.setStatus("", HealthCheckResponse.ServingStatus.NOT_SERVING);
    boolean interrupted = false;
    try {
      if (!shutdownGate.drain(config.drainTimeout)) {
        LOG.warn(
            "{} calls still in flight after the drain timeout of {} ms; stopping the plugins anyway",
            shutdownGate.inFlight(), config.drainTimeout.toMillis());
      }
    } catch (InterruptedException e) {
      interrupted = true;
    }
    HealthMonitor monitor = healthMonitor;
    if (monitor != null) {
      monitor.close();
    }
    supervisor.close();
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
        interrupted = true;
      }
    }
    closeUnixTransport();
    policy.close();
    audit.close();
    timer.shutdownNow();
    worker.shutdownNow();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
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
    private Duration handshakeTimeout = Duration.ofSeconds(30);
    private Duration callTimeout = Duration.ofSeconds(30);
    private Duration stopTimeout = Duration.ofSeconds(5);
    private boolean defaultSecure = true;
    private boolean unixSockets = true;
    private Path socketDirectory;
    private final Map<String, String> environment = new LinkedHashMap<>();
    private final List<PluginStateListener> listeners = new ArrayList<>();
    private AccessPolicy accessPolicy;
    private Path accessPolicyFile;
    private boolean watchAccessPolicyFile = true;
    /** null: TLS only where the kernel cannot attest callers. */
    private Boolean tlsEnabled;
    private boolean kernelIdentity = true;
    private Path tlsAuthorityCertificate;
    private Path tlsAuthorityKey;
    private Path auditFile;
    private Duration restartInitialDelay = Duration.ofSeconds(1);
    private Duration restartMaxDelay = Duration.ofSeconds(30);
    private int maxRestarts = 5;
    private Duration restartWindow = Duration.ofMinutes(10);
    private Duration healthCheckInterval = Duration.ofSeconds(5);
    private Duration healthCheckTimeout = Duration.ofSeconds(2);
    private int healthCheckFailures = 3;
    private int maxCallDepth = CallChains.DEFAULT_MAX_DEPTH;
    private int maxMessageSize = 4 * 1024 * 1024;
    private Duration drainTimeout = Duration.ofSeconds(10);

    private Builder() {}

    /**
     * The access policy for plugin-to-plugin calls. Default: {@link AccessPolicy#allowAll()}.
     * Excludes {@link #accessPolicyFile(Path)}.
     */
    public Builder accessPolicy(AccessPolicy policy) {
      this.accessPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Reads the access policy from a JSON or YAML file (see {@link AccessPolicy#read(Path)}); it
     * is read by {@link #build()}, and again by {@link PluginBroker#reloadAccessPolicy()} and,
     * unless {@link #watchAccessPolicyFile(boolean) watchAccessPolicyFile(false)}, whenever the
     * file changes. Excludes {@link #accessPolicy(AccessPolicy)}.
     */
    public Builder accessPolicyFile(Path file) {
      this.accessPolicyFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /** Whether a changed access policy file takes effect by itself; default true. */
    public Builder watchAccessPolicyFile(boolean watch) {
      this.watchAccessPolicyFile = watch;
      return this;
    }

    /**
     * Mutually authenticated TLS between the agent and its plugins, both ways, each side pinning
     * the other's exact certificate (see README "Encrypted hops"). Default: off where the kernel
     * attests both ends of every connection (Linux: Unix sockets and loopback TCP, see {@link
     * #kernelIdentity}), on elsewhere. With true, both hops use TLS in addition to the kernel's
     * attestation; with false, plaintext on loopback.
     */
    public Builder tls(boolean enabled) {
      this.tlsEnabled = enabled;
      return this;
    }

    /**
     * Whether callers are identified by the kernel (default, where the OS offers it: the process
     * at the other end of the connection, see the README's Security section) or, with {@code
     * false}, by a per-launch credential handed to each plugin on its stdin. Turn it off only
     * where {@code /proc} is restricted (e.g. mounted with {@code hidepid}); on an OS without
     * {@code /proc/net/tcp} the credential is used anyway.
     */
    public Builder kernelIdentity(boolean enabled) {
      this.kernelIdentity = enabled;
      return this;
    }

    /** Whether the kernel attests callers with these settings on this OS. */
    boolean kernelIdentityInEffect() {
      return kernelIdentity && TcpSocketOwner.available();
    }

    /** TLS as set, or by default only where the kernel cannot attest both ends of a connection. */
    boolean tlsInEffect() {
      return tlsEnabled != null ? tlsEnabled : !kernelIdentityInEffect();
    }

    /**
     * Issues the broker's and plugins' certificates from this CA instead of one generated for the
     * run: its certificate and its unencrypted private key, PEM files.
     */
    public Builder tlsAuthority(Path certificatePem, Path privateKeyPem) {
      this.tlsAuthorityCertificate = Objects.requireNonNull(certificatePem, "certificatePem");
      this.tlsAuthorityKey = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
      return this;
    }

    /**
     * Also appends each audit record as one JSON line to this file (created owner-only if
     * missing, never truncated). Default: audit records go to the SLF4J logger only.
     */
    public Builder auditFile(Path file) {
      this.auditFile = Objects.requireNonNull(file, "file");
      return this;
    }

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
     * 30 s: a JVM plugin starts in about 1 s, but on a loaded 2-core machine it can take many
     * seconds, which the Go agent's 2 s would fail.
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

    /**
     * How long a failed plugin waits before its restart: {@code initialDelay} the first time,
     * doubling with each restart within the restart window, at most {@code maxDelay}; defaults
     * 1 s and 30 s.
     */
    public Builder restartBackoff(Duration initialDelay, Duration maxDelay) {
      this.restartInitialDelay = Objects.requireNonNull(initialDelay, "initialDelay");
      this.restartMaxDelay = Objects.requireNonNull(maxDelay, "maxDelay");
      return this;
    }

    /**
     * At most {@code restarts} restarts of one plugin within {@code window}; after that it stays
     * FAILED until reloaded. Default 5 within 10 minutes; 0 disables restarting.
     */
    public Builder maxRestarts(int restarts, Duration window) {
      this.maxRestarts = restarts;
      this.restartWindow = Objects.requireNonNull(window, "window");
      return this;
    }

    /** How often each plugin's gRPC health service is checked; default 5 s; zero disables checks. */
    public Builder healthCheckInterval(Duration interval) {
      this.healthCheckInterval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /** How long a health check may take before it counts as failed; default 2 s. */
    public Builder healthCheckTimeout(Duration timeout) {
      this.healthCheckTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * How many health checks in a row must fail before a plugin is considered hung (FAILED,
     * killed and restarted); default 3.
     */
    public Builder healthCheckFailures(int failures) {
      this.healthCheckFailures = failures;
      return this;
    }

    /**
     * The most hops a call chain may have (agent -> A -> B is 2 hops); a call that would make it
     * longer is refused with FAILED_PRECONDITION. Default 8.
     */
    public Builder maxCallDepth(int depth) {
      this.maxCallDepth = depth;
      return this;
    }

    /**
     * The largest message, in bytes, the broker accepts from a caller or a plugin
     * (RESOURCE_EXHAUSTED beyond it); default 4 MiB, gRPC's default.
     */
    public Builder maxMessageSize(int bytes) {
      this.maxMessageSize = bytes;
      return this;
    }

    /** How long {@link PluginBroker#close()} lets calls in flight finish; default 10 s. */
    public Builder drainTimeout(Duration timeout) {
      this.drainTimeout = Objects.requireNonNull(timeout, "timeout");
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
      requirePositive("restartBackoff initialDelay", restartInitialDelay);
      if (restartMaxDelay.compareTo(restartInitialDelay) < 0) {
        throw new IllegalArgumentException(
            "restartBackoff maxDelay (" + restartMaxDelay + ") must not be less than initialDelay ("
                + restartInitialDelay + ")");
      }
      if (maxRestarts < 0) {
        throw new IllegalArgumentException("maxRestarts must be 0 (never restart) or more, got " + maxRestarts);
      }
      requirePositive("maxRestarts window", restartWindow);
      if (healthCheckInterval.isNegative()) {
        throw new IllegalArgumentException(
            "healthCheckInterval must be positive, or zero to disable checks; got " + healthCheckInterval);
      }
      requirePositive("healthCheckTimeout", healthCheckTimeout);
      if (healthCheckFailures < 1) {
        throw new IllegalArgumentException("healthCheckFailures must be at least 1, got " + healthCheckFailures);
      }
      if (maxCallDepth < 1) {
        throw new IllegalArgumentException("maxCallDepth must be at least 1, got " + maxCallDepth);
      }
      if (maxMessageSize < 1024) {
        throw new IllegalArgumentException("maxMessageSize must be at least 1024 bytes, got " + maxMessageSize);
      }
      requirePositive("drainTimeout", drainTimeout);
      if (accessPolicy != null && accessPolicyFile != null) {
        throw new IllegalArgumentException(
            "set either accessPolicy(...) or accessPolicyFile(...), not both");
      }
      if (tlsEnabled != null && !tlsEnabled && tlsAuthorityCertificate != null) {
        throw new IllegalArgumentException(
            "tlsAuthority(...) is set but tls(false) turns TLS off; drop one of them");
      }
      PolicyEngine policy =
          accessPolicyFile != null
              ? PolicyEngine.fromFile(accessPolicyFile)
              : PolicyEngine.fixed(accessPolicy != null ? accessPolicy : AccessPolicy.allowAll());
      TlsMaterial tls = null;
      if (tlsInEffect() || tlsAuthorityCertificate != null) {
        List<String> hosts = TlsMaterial.hostsFor(host);
        tls =
            tlsAuthorityCertificate != null
                ? TlsMaterial.fromAuthority(tlsAuthorityCertificate, tlsAuthorityKey, hosts)
                : TlsMaterial.generate(hosts);
      }
      return new PluginBroker(copy(), policy, tls);
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
      c.accessPolicy = accessPolicy;
      c.accessPolicyFile = accessPolicyFile;
      c.watchAccessPolicyFile = watchAccessPolicyFile;
      c.tlsEnabled = tlsEnabled;
      c.kernelIdentity = kernelIdentity;
      c.tlsAuthorityCertificate = tlsAuthorityCertificate;
      c.tlsAuthorityKey = tlsAuthorityKey;
      c.auditFile = auditFile;
      c.restartInitialDelay = restartInitialDelay;
      c.restartMaxDelay = restartMaxDelay;
      c.maxRestarts = maxRestarts;
      c.restartWindow = restartWindow;
      c.healthCheckInterval = healthCheckInterval;
      c.healthCheckTimeout = healthCheckTimeout;
      c.healthCheckFailures = healthCheckFailures;
      c.maxCallDepth = maxCallDepth;
      c.maxMessageSize = maxMessageSize;
      c.drainTimeout = drainTimeout;
      return c;
    }

    private static void requirePositive(String name, Duration d) {
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
    }
  }
}
