package io.dtac.broker.server;

import io.dtac.broker.api.peer.PeerAttestation;
import io.dtac.broker.server.internal.AgentServiceChain;
import io.dtac.broker.server.internal.AgentServiceImpl;
import io.dtac.broker.server.internal.AuditLog;
import io.dtac.broker.server.internal.BrokerConfig;
import io.dtac.broker.server.internal.BrokerServers;
import io.dtac.broker.server.internal.CallChains;
import io.dtac.broker.server.internal.CallGate;
import io.dtac.broker.server.internal.CallLimits;
import io.dtac.broker.server.internal.CallRouter;
import io.dtac.broker.server.internal.CallerAuthInterceptor;
import io.dtac.broker.server.internal.CredentialStore;
import io.dtac.broker.server.internal.HostCalls;
import io.dtac.broker.server.internal.LaunchIdentity;
import io.dtac.broker.server.internal.LaunchedProcesses;
import io.dtac.broker.server.internal.LoadedPlugin;
import io.dtac.broker.server.internal.PluginManager;
import io.dtac.broker.server.internal.PluginRegistry;
import io.dtac.broker.server.internal.PolicyEngine;
import io.dtac.broker.server.internal.ShutdownGate;
import io.dtac.broker.server.internal.TlsMaterial;
import io.dtac.broker.server.internal.observability.BrokerMetrics;
import io.dtac.broker.server.internal.observability.CallTracing;
import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.StatusCode;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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
 * the broker creates and deletes ({@link PluginBrokerBuilder#unixSockets(boolean)}); others over loopback TCP.
 * The broker's gRPC handlers and interceptors run on its transport threads (direct executor) and
 * must never block; routed calls complete on the transport thread too (docs/BENCHMARKS.md).
 *
 * <p>Security (see the README's Security section): plugins authenticate to the broker with a
 * credential issued at launch; an {@link AccessPolicy} decides who may call whom; traffic between
 * the agent and its plugins is mutually authenticated TLS with certificates made for the run
 * (unless {@link PluginBrokerBuilder#tls(boolean) tls(false)}); every brokered call leaves one audit record
 * on the SLF4J logger {@code dtac.audit} and, optionally, in a JSON-lines file.
 *
 * <p>Reliability (see the README's Reliability section): every brokered call has a deadline
 * ({@link PluginBrokerBuilder#callTimeout}); call cycles and chains deeper than {@link PluginBrokerBuilder#maxCallDepth}
 * are refused; a plugin whose process ends or that stops answering health checks is FAILED and
 * restarted with exponential backoff ({@link PluginBrokerBuilder#restartBackoff}, {@link
 * PluginBrokerBuilder#maxRestarts}); plugins can be loaded, unloaded and reloaded at runtime; {@link #close()}
 * lets calls in flight finish first.
 */
public final class PluginBroker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PluginBroker.class);

  private enum Lifecycle { NEW, STARTED, CLOSED }

  private final BrokerConfig config;
  private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.NEW);
  private final PluginRegistry registry;
  private final CredentialStore credentials = new CredentialStore();
  /** The launched processes, when the kernel attests callers; null when credentials do. */
  private final LaunchedProcesses processes;
  private final PolicyEngine policy;
  private final TlsMaterial tls;
  private final AuditLog audit;
  private final CallChains chains;
  private final ShutdownGate shutdownGate = new ShutdownGate();
  private final CallGate gate;
  private final HostCalls hostCalls;
  private final BrokerServers servers;
  private final PluginManager plugins;
  private final BrokerMetrics metrics;
  private final CallTracing tracing;

  /** Made by {@link PluginBrokerBuilder#build()}. */
  PluginBroker(BrokerConfig config) {
    this.config = config;
    this.policy = config.newPolicyEngine();
    this.tls = config.newTlsMaterial();
    this.processes = config.kernelIdentityInEffect() ? new LaunchedProcesses() : null;
    this.chains = new CallChains(config.maxCallDepth());
    this.metrics = config.newMetrics(this::loadedPlugin);
    this.tracing = config.newTracing();
    List<PluginStateListener> listeners = new ArrayList<>();
    if (metrics != BrokerMetrics.NONE) {
      listeners.add(metrics::pluginStateChanged);
    }
    listeners.addAll(config.listeners());
    this.registry = new PluginRegistry(listeners);
    this.audit = new AuditLog(config.auditFile(), metrics);
    this.gate =
        new CallGate(
            new CallRouter(registry, config.callTimeout(), chains, shutdownGate, config.maxMessageSize()),
            policy,
            audit,
            tracing,
            metrics,
            new CallLimits(config.callerLimit(), config.targetLimit(), name -> loadedPlugin(name) != null));
    this.hostCalls = new HostCalls(gate);
    this.servers = new BrokerServers(config, metrics);
    this.plugins =
        new PluginManager(config, registry, new LaunchIdentity(credentials, tls, processes), metrics);
  }

  /** The loaded plugin named {@code name}, or null: what metrics tags are checked against. */
  private LoadedPlugin loadedPlugin(String name) {
    return registry.get(name);
  }

  /**
   * A builder with every setting at its default.
   *
   * @return a new builder
   */
  public static PluginBrokerBuilder builder() {
    return new PluginBrokerBuilder();
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
    if (config.watchAccessPolicyFile()) {
      policy.startWatching();
    }
    ServerServiceDefinition agentService =
        AgentServiceChain.of(
            new AgentServiceImpl(gate, registry),
            new CallerAuthInterceptor(processes, credentials, tls == null ? null : tls.issued(), audit),
            chains,
            audit,
            tracing.incoming());
    ServerCredentials serverCredentials =
        tls == null ? InsecureServerCredentials.create() : tls.serverCredentials();
    if (processes != null) {
      serverCredentials = PeerAttestation.server(serverCredentials, processes::candidates);
    }
    servers.start(agentService, serverCredentials);
    plugins.start(servers.brokerAddress(), servers.transports());
    return this;
  }

  /**
   * Loads one more plugin file at runtime, with the configuration the builder has for it (or the
   * defaults). Blocks until it is RUNNING or FAILED.
   *
   * @param file the plugin file
   * @return the plugin: RUNNING, or FAILED with the reason (for example a duplicate name)
   * @throws IllegalStateException before {@link #start()} or after {@link #close()}
   */
  public PluginInfo load(Path file) {
    Objects.requireNonNull(file, "file");
    requireRunning();
    return plugins.load(file, null);
  }

  /**
   * Like {@link #load(Path)}, with {@code pluginConfig}; it is loaded even if not enabled.
   *
   * @param file the plugin file
   * @param pluginConfig its configuration
   * @return the plugin: RUNNING, or FAILED with the reason
   * @throws IllegalStateException before {@link #start()} or after {@link #close()}
   */
  public PluginInfo load(Path file, PluginConfig pluginConfig) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(pluginConfig, "pluginConfig");
    requireRunning();
    return plugins.load(file, pluginConfig);
  }

  /**
   * Stops a plugin (SIGTERM, then SIGKILL after the stop timeout) and forgets it: it is no longer
   * listed, called or restarted. Calls in flight to it fail with UNAVAILABLE.
   *
   * @param name the plugin's name (case-sensitive)
   * @return its final state (STOPPED), or empty if no plugin has that name
   * @throws IllegalStateException before {@link #start()} or after {@link #close()}
   */
  public Optional<PluginInfo> unload(String name) {
    Objects.requireNonNull(name, "name");
    requireRunning();
    return plugins.unload(name);
  }

  /**
   * Restarts a plugin from its file (which may have changed) with the same configuration; its
   * restart budget starts afresh. Works on FAILED plugins too. Blocks until it is RUNNING or
   * FAILED; meanwhile calls to it fail with UNAVAILABLE (RESTARTING).
   *
   * @param name the plugin's name (case-sensitive)
   * @return the plugin afterwards, or empty if no plugin has that name
   * @throws IllegalStateException before {@link #start()} or after {@link #close()}
   */
  public Optional<PluginInfo> reload(String name) {
    Objects.requireNonNull(name, "name");
    requireRunning();
    return plugins.reload(name);
  }

  private void requireRunning() {
    if (lifecycle.get() != Lifecycle.STARTED || !plugins.started()) {
      throw new IllegalStateException("the broker is not running (start() it first; it cannot be used after close())");
    }
  }

  /**
   * The address plugins reach the broker at, "127.0.0.1:PORT", as sent in
   * {@code RegisterRequest.broker_address}.
   *
   * @return the broker's TCP address
   * @throws IllegalStateException before {@link #start()}
   */
  public String brokerAddress() {
    return servers.brokerAddress();
  }

  /**
   * Every plugin: loaded ones in load order, then files that failed before their handshake.
   *
   * @return a snapshot of each plugin's state
   */
  public List<PluginInfo> plugins() {
    return plugins.plugins();
  }

  /**
   * The plugin named {@code name}.
   *
   * @param name the plugin's name (case-sensitive)
   * @return a snapshot of its state, or empty if no plugin has that name
   */
  public Optional<PluginInfo> plugin(String name) {
    return plugins.plugin(name);
  }

  /**
   * The access policy in force: the builder's, the file's as last (re)loaded, or {@link
   * AccessPolicy#allowAll()}.
   *
   * @return the policy deciding calls that start now
   */
  public AccessPolicy accessPolicy() {
    return policy.current();
  }

  /**
   * Re-reads the access policy file now; calls that start afterwards are decided by it. Without
   * {@link PluginBrokerBuilder#watchAccessPolicyFile(boolean) watching}, this is how a changed file takes
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
   *
   * @return the CA certificate, PEM; empty without TLS
   */
  public Optional<String> tlsAuthorityCertificate() {
    return tls == null ? Optional.empty() : Optional.of(tls.caPem());
  }

  /**
   * Calls endpoint {@code (path, action)} of plugin {@code pluginName} as the host application
   * (e.g. a REST gateway), with the broker's routing, checks and deadline ({@link
   * PluginBrokerBuilder#callTimeout}). Blocks the calling thread. The call is audited with caller "agent"; the
   * access policy does not apply to the host.
   *
   * @param pluginName the plugin's name, e.g. "HelloPlugin"
   * @param path the endpoint's path, e.g. "hello"
   * @param action the endpoint's action
   * @param request the request: body, parameters, headers
   * @return the plugin's response
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
   * context's deadline, else the broker's {@link PluginBrokerBuilder#callTimeout}.
   *
   * @param pluginName the plugin's name, e.g. "HelloPlugin"
   * @param path the endpoint's path, e.g. "hello"
   * @param action the endpoint's action
   * @param request the request
   * @param timeout how long the call may take, or null
   * @return the plugin's response
   * @throws PluginCallException as {@link #call(String, String, Action, Request)} does
   */
  public Response call(String pluginName, String path, Action action, Request request, Duration timeout)
      throws PluginCallException {
    requireCallArguments(pluginName, path, action, request);
    if (lifecycle.get() == Lifecycle.NEW) {
      throw notStarted();
    }
    return hostCalls.call(pluginName, path, action, request, timeout);
  }

  /**
   * Like {@link #call(String, String, Action, Request)}, without blocking: the future completes on
   * the broker's transport thread that receives the answer (do not block in a stage that runs
   * there; use the {@code *Async} stages with an executor of your own for slow work) and fails
   * with a {@link PluginCallException}.
   *
   * @param pluginName the plugin's name, e.g. "HelloPlugin"
   * @param path the endpoint's path, e.g. "hello"
   * @param action the endpoint's action
   * @param request the request
   * @return the plugin's response, when it arrives
   */
  public CompletableFuture<Response> callAsync(String pluginName, String path, Action action, Request request) {
    return callAsync(pluginName, path, action, request, null);
  }

  /**
   * Like {@link #callAsync(String, String, Action, Request)} with a timeout (null: the current gRPC
   * context's deadline, else the broker's {@link PluginBrokerBuilder#callTimeout}). Cancelling the future
   * cancels the routed call: the target's work is cancelled too.
   *
   * @param pluginName the plugin's name, e.g. "HelloPlugin"
   * @param path the endpoint's path, e.g. "hello"
   * @param action the endpoint's action
   * @param request the request
   * @param timeout how long the call may take, or null
   * @return the plugin's response, when it arrives
   */
  public CompletableFuture<Response> callAsync(
      String pluginName, String path, Action action, Request request, Duration timeout) {
    requireCallArguments(pluginName, path, action, request);
    if (lifecycle.get() == Lifecycle.NEW) {
      return CompletableFuture.failedFuture(notStarted());
    }
    return hostCalls.callAsync(pluginName, path, action, request, timeout);
  }

  private static void requireCallArguments(String pluginName, String path, Action action, Request request) {
    Objects.requireNonNull(pluginName, "pluginName");
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(request, "request");
  }

  private static PluginCallException notStarted() {
    return new PluginCallException(StatusCode.UNAVAILABLE, "the broker is not started");
  }

  /**
   * Shuts down gracefully: refuses new calls (UNAVAILABLE; the broker's health turns
   * NOT_SERVING), lets calls in flight finish for up to {@link PluginBrokerBuilder#drainTimeout} (including
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
    servers.notServing();
    boolean interrupted = false;
    try {
      if (!shutdownGate.drain(config.drainTimeout())) {
        LOG.warn(
            "{} calls still in flight after the drain timeout of {} ms; stopping the plugins anyway",
            shutdownGate.inFlight(), config.drainTimeout().toMillis());
      }
    } catch (InterruptedException e) {
      interrupted = true;
    }
    plugins.stopSupervising();
    servers.shutdown();
    plugins.stopAll();
    interrupted |= !servers.awaitTermination();
    policy.close();
    audit.close();
    plugins.close();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    LOG.info("plugin broker stopped");
  }
}
