package io.dtac.broker.server.internal;

import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.broker.server.internal.observability.BrokerMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the plugins' lifecycle: launch ({@link PluginLauncher}), supervision and restarts ({@link
 * PluginSupervisor}), health checks ({@link HealthMonitor}), and the threads they run on. What
 * happens to a plugin is reported here, and this class decides who acts on it: a process that
 * ends or a plugin that stops answering is failed by the launcher and handed to the supervisor,
 * which restarts it through the launcher. Thread-safe.
 *
 * <p>{@link #stopSupervising()} may come at any moment, also while {@link #start} is loading:
 * launches in progress are then aborted (their processes killed), files not yet launched are not,
 * and no health check starts afterwards.
 */
public final class PluginManager implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PluginManager.class);
  /** At most this many plugin files are launched at once at start-up. */
  private static final int MAX_PARALLEL_LOADS = 8;
  /**
   * At most this many restarts run at once (each may block for a handshake); further ones wait
   * in the queue, which holds at most one restart per plugin.
   */
  static final int MAX_PARALLEL_RESTARTS = 4;
  /** What stopping a restart's old process may take beyond the stop timeout (its SIGKILL wait). */
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);

  private final BrokerConfig config;
  private final PluginRegistry registry;
  private final LaunchIdentity identities;
  private final BrokerMetrics metrics;
  private final ScheduledThreadPoolExecutor timer;
  private final ThreadPoolExecutor worker;
  private final PluginSupervisor supervisor;
  private volatile PluginLauncher launcher;
  /** Guarded by this. */
  private HealthMonitor healthMonitor;
  /** Guarded by this: set by {@link #stopSupervising()}; nothing is launched or checked afterwards. */
  private boolean closing;

  /** @param metrics told of failed health checks */
  public PluginManager(
      BrokerConfig config, PluginRegistry registry, LaunchIdentity identities, BrokerMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.registry = registry;
    this.identities = identities;
    this.timer = new ScheduledThreadPoolExecutor(1, daemon("dtac-broker-timer"));
    timer.setRemoveOnCancelPolicy(true);
    // Restarts block for a handshake; idle threads go away quickly so none outlive their work.
    this.worker =
        new ThreadPoolExecutor(
            MAX_PARALLEL_RESTARTS, MAX_PARALLEL_RESTARTS, 1, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), daemon("dtac-plugin-restart"));
    worker.allowCoreThreadTimeOut(true);
    this.supervisor = new PluginSupervisor(config.restarts(), timer, worker);
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Loads every plugin file of the configured directory in parallel, returning when each is
   * RUNNING or FAILED, then starts the health checks.
   *
   * @param brokerAddress the broker's TCP address, sent to plugins in Register
   * @param transports how plugins are reached and reach the broker
   * @throws java.io.IOException if the plugin directory cannot be read
   */
  public void start(String brokerAddress, Transports transports) throws java.io.IOException {
    PluginLauncher l =
        new PluginLauncher(
            registry,
            new PluginLauncher.Settings(
                brokerAddress,
                config.defaultSecure(),
                config.handshakeTimeout(),
                config.stopTimeout(),
                transports.pluginEnvironment(config.environment()),
                config.maxMessageSize(),
                config.pluginLogRate(),
                metrics),
            identities,
            transports,
            supervisor::failed);
    synchronized (this) {
      if (closing) {
        return;
      }
      launcher = l;
      supervisor.start(registry, l);
    }
    if (config.pluginDirectory() != null) {
      loadAll(PluginDiscovery.find(config.pluginDirectory()));
    }
    synchronized (this) {
      if (closing) {
        return;
      }
      healthMonitor =
          new HealthMonitor(
              registry,
              timer,
              config.healthCheckInterval(),
              config.healthCheckTimeout(),
              config.healthCheckFailures(),
              this::unresponsive,
              metrics);
      healthMonitor.start();
    }
  }

  private void unresponsive(LoadedPlugin plugin, String why) {
    if (launcher.failUnresponsive(plugin, why)) {
      supervisor.failed(plugin);
    }
  }

  private void loadAll(List<Path> files) {
    if (files.isEmpty()) {
      LOG.warn("no *.plugin files in {}", config.pluginDirectory().toAbsolutePath());
      return;
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(Math.min(files.size(), MAX_PARALLEL_LOADS), daemon("dtac-plugin-loader"));
    try {
      List<Future<?>> loads = new ArrayList<>();
      for (Path file : files) {
        if (isClosing()) {
          break;
        }
        PluginConfig pc = config.pluginConfig(PluginDiscovery.stem(file));
        if (!pc.enabled()) {
          LOG.info("plugin file {} is disabled by configuration; not launched", file.getFileName());
          continue;
        }
        loads.add(pool.submit(() -> launch(file, pc)));
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
      awaitTermination(pool, "the plugin loaders");
    }
  }

  private synchronized boolean isClosing() {
    return closing;
  }

  /** Waits a little for {@code pool}'s threads to end (they only finish a launch that is being aborted). */
  private static void awaitTermination(ExecutorService pool, String what) {
    try {
      if (!pool.awaitTermination(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("{} did not end within {} ms", what, KILL_WAIT.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private LoadedPlugin launch(Path file, PluginConfig pluginConfig) {
    LoadedPlugin loaded = launcher.load(file, pluginConfig);
    if (loaded != null) {
      supervisor.running(loaded);
    }
    return loaded;
  }

  /** Whether {@link #start} has been called: plugins can be loaded, unloaded and reloaded. */
  public boolean started() {
    return launcher != null;
  }

  /**
   * Loads one more plugin file; blocks until it is RUNNING or FAILED.
   *
   * @param pluginConfig its configuration, or null for the one configured for its file stem
   * @return its state afterwards: RUNNING, or FAILED with the reason
   */
  public PluginInfo load(Path file, PluginConfig pluginConfig) {
    PluginConfig pc = pluginConfig != null ? pluginConfig : config.pluginConfig(PluginDiscovery.stem(file));
    registry.forgetFailures(file);
    LoadedPlugin loaded = launch(file, pc);
    if (loaded != null) {
      return loaded.snapshot();
    }
    String why = isClosing() ? "not loaded: the broker is shutting down" : "load was interrupted";
    return registry.latestFor(file)
        .orElseGet(() -> new PluginInfo(file.getFileName().toString(), PluginDiscovery.stem(file),
            PluginState.FAILED, List.of(), file, 0, why));
  }

  /** Stops and forgets the plugin named {@code name}; see {@link PluginSupervisor#unload}. */
  public Optional<PluginInfo> unload(String name) {
    return supervisor.unload(name);
  }

  /** Restarts the plugin named {@code name} from its file; see {@link PluginSupervisor#reload}. */
  public Optional<PluginInfo> reload(String name) {
    return supervisor.reload(name);
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
   * Stops health checks, launches and restarts: no file is launched from now on, launches in
   * progress (at start-up, a load, a restart or a reload) are aborted by killing their processes,
   * and a restart in progress is waited for at most the stop timeout plus 5 s (what stopping its
   * old process may take). May be called while {@link #start} runs. Idempotent.
   */
  public void stopSupervising() {
    HealthMonitor monitor;
    PluginLauncher l;
    synchronized (this) {
      closing = true;
      monitor = healthMonitor;
      l = launcher;
    }
    if (monitor != null) {
      monitor.close();
    }
    if (l != null) {
      l.close();
    }
    supervisor.close(config.stopTimeout().plus(KILL_WAIT));
  }

  /** Stops every plugin in parallel (SIGTERM, then SIGKILL after the stop timeout); blocks until they are gone. */
  public void stopAll() {
    PluginLauncher l = launcher;
    if (l == null) {
      return;
    }
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

  /** Stops supervising and every plugin, then the manager's threads. Idempotent. */
  @Override
  public void close() {
    stopSupervising();
    stopAll();
    timer.shutdownNow();
    worker.shutdownNow();
    awaitTermination(timer, "the broker's timer");
    awaitTermination(worker, "the restart threads");
  }
}
