package io.dtac.broker.server.internal;

import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.api.RegisterRequest;
import io.dtac.broker.api.RegisterResponse;
import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.broker.server.internal.observability.BrokerMetrics;
import io.dtac.core.Action;
import io.dtac.core.internal.Messages;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings one plugin file to RUNNING: checks the file, launches it, reads its handshake, dials
 * it, opens its log stream and registers it. Any failure is recorded in the registry with a
 * message that names the plugin and the cause, and its process is stopped; other plugins are
 * not affected.
 */
public final class PluginLauncher {
  private static final Logger LOG = LoggerFactory.getLogger(PluginLauncher.class);

  /**
   * What every launch needs to know.
   *
   * @param logRate each plugin process's share of the agent's log
   * @param metrics told of the log records dropped over that rate
   */
  public record Settings(
      String brokerAddress,
      boolean defaultSecure,
      Duration handshakeTimeout,
      Duration stopTimeout,
      Map<String, String> environment,
      int maxMessageSize,
      PluginLog.Rate logRate,
      BrokerMetrics metrics) {}

  private final PluginRegistry registry;
  private final Settings settings;
  private final LaunchIdentity identities;
  private final Transports transports;
  private final Consumer<LoadedPlugin> onFailure;
  /** The processes of launches in progress (from start to RUNNING or FAILED), so that close ends them. */
  private final Set<PluginProcess> launching = new HashSet<>();
  /** Guarded by {@link #launching}. */
  private boolean closed;

  /**
   * @param transports how plugins are reached: Unix sockets for those that take the offer
   * @param onFailure told, on the thread that saw it, when a live plugin's process ended and it
   *     turned FAILED; the other failures are the return values of this class's methods
   */
  public PluginLauncher(
      PluginRegistry registry,
      Settings settings,
      LaunchIdentity identities,
      Transports transports,
      Consumer<LoadedPlugin> onFailure) {
    this.registry = registry;
    this.settings = settings;
    this.identities = identities;
    this.transports = transports;
    this.onFailure = onFailure;
  }

  /**
   * Loads {@code file}; returns the plugin if it reached RUNNING, else null (also when the launcher
   * is closed: then nothing is started). Never throws.
   */
  public LoadedPlugin load(Path file, PluginConfig config) {
    if (isClosed()) {
      LOG.info("plugin file {} is not launched: the broker is shutting down", file.getFileName());
      return null;
    }
    String fileName = file.getFileName().toString();
    Launch launch;
    try {
      launch = launch(file, config);
    } catch (LaunchFailed e) {
      registry.addUnnamedFailure(failed(fileName, file, e.pid, e.getMessage()));
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    try {
      return named(file, config, launch);
    } finally {
      settled(launch.process());
    }
  }

  private LoadedPlugin named(Path file, PluginConfig config, Launch launch) {
    String fileName = file.getFileName().toString();
    HandshakeParser.ConnectInfo info = launch.info();
    String rootPath = config.rootPath().orElse(info.rootPath());
    LoadedPlugin plugin = new LoadedPlugin(info.name(), rootPath, file);
    plugin.config(config);
    LoadedPlugin holder = registry.add(plugin);
    if (holder != null) {
      launch.process().stop(settings.stopTimeout());
      registry.addUnnamedFailure(
          failed(
              fileName,
              file,
              launch.process().pid(),
              "duplicate plugin name '" + info.name() + "': already loaded from "
                  + holder.file().getFileName() + "; " + fileName + " was stopped"));
      return null;
    }
    adopt(plugin, launch);
    return connectAndRegister(plugin, launch.process(), info, config);
  }

  /** A plugin process that printed a valid handshake line, with what it was given at launch. */
  private record Launch(
      PluginProcess process,
      HandshakeParser.ConnectInfo info,
      LaunchIdentity.Issued issued) {}

  /** Why a file did not get as far as a valid handshake; its process, if any, is stopped. */
  private static final class LaunchFailed extends Exception {
    private static final long serialVersionUID = 1L;
    private final long pid;

    LaunchFailed(String message, long pid) {
      super(message);
      this.pid = pid;
    }
  }

  /**
   * Checks {@code file}, starts it with a fresh credential (and TLS identity) and reads its
   * handshake line: the steps a first load and a restart share.
   *
   * @throws InterruptedException after killing the process
   */
  private Launch launch(Path file, PluginConfig config) throws LaunchFailed, InterruptedException {
    String fileName = file.getFileName().toString();
    try {
      PluginDiscovery.check(file, config);
    } catch (IOException | SecurityException e) {
      throw new LaunchFailed(e.getMessage(), 0);
    }
    RunAs account = null;
    Map<String, String> env = new HashMap<>(settings.environment());
    try {
      if (config.user().isPresent()) {
        account = RunAs.resolve(config.user().get(), config.group().orElse(null));
        transports.offerTo(account, env);
      }
    } catch (IOException e) {
      throw new LaunchFailed("refusing to launch " + fileName + ": " + e.getMessage(), 0);
    }
    LaunchIdentity.Issued issued = identities.issue(file, env);
    PluginProcess process;
    try {
      PluginLog log = new PluginLog(PluginDiscovery.stem(file), settings.logRate(), settings.metrics(), System::nanoTime);
      process = PluginProcess.launch(
          file, PluginEnvironment.of(System.getenv(), env, account), account, issued.credential(), log);
    } catch (IOException e) {
      throw new LaunchFailed("cannot start " + fileName + ": " + e.getMessage(), 0);
    }
    admit(process);
    try {
      String line = process.awaitHandshakeLine(settings.handshakeTimeout());
      return new Launch(
          process, HandshakeParser.parse(line, PluginDiscovery.stem(file)), issued);
    } catch (HandshakeException e) {
      settled(process);
      process.stop(settings.stopTimeout());
      throw new LaunchFailed(
          isClosed()
              ? fileName + " was stopped before its handshake: the broker is shutting down"
              : "handshake failed: " + fileName + " " + e.getMessage(),
          process.pid());
    } catch (InterruptedException e) {
      settled(process);
      process.kill();
      throw e;
    }
  }

  /**
   * Counts {@code process} as a launch in progress until {@link #settled}; if the launcher is
   * closed, stops it instead.
   *
   * @throws LaunchFailed if the launcher is closed
   */
  private void admit(PluginProcess process) throws LaunchFailed {
    synchronized (launching) {
      if (!closed) {
        launching.add(process);
        return;
      }
    }
    process.kill();
    process.stop(settings.stopTimeout());
    throw new LaunchFailed(
        process.file().getFileName() + " was stopped at once: the broker is shutting down", process.pid());
  }

  /** The launch of {@code process} has ended: RUNNING, FAILED or stopped. */
  private void settled(PluginProcess process) {
    synchronized (launching) {
      launching.remove(process);
    }
  }

  private boolean isClosed() {
    synchronized (launching) {
      return closed;
    }
  }

  /**
   * Refuses launches from now on and kills (SIGKILL, with their process groups) the processes of
   * launches in progress, so that a load, restart or reload under way ends at once: FAILED, or
   * not started. Plugins already RUNNING are left to {@link #stop}. Does not block; idempotent.
   */
  public void close() {
    List<PluginProcess> inProgress;
    synchronized (launching) {
      closed = true;
      inProgress = List.copyOf(launching);
    }
    inProgress.forEach(PluginProcess::kill);
  }

  /** Makes the launched process the plugin's: what it was issued now identifies the plugin. */
  private void adopt(LoadedPlugin plugin, Launch launch) {
    identities.adopt(plugin, launch.process(), launch.issued());
    launch.process().renameLog(plugin.name());
  }

  private LoadedPlugin connectAndRegister(
      LoadedPlugin plugin, PluginProcess process, HandshakeParser.ConnectInfo info, PluginConfig config) {
    if (info.tls() && !identities.tls()) {
      fail(plugin, process, "it serves TLS, but the broker gave it no certificate to serve");
      return null;
    }
    if (!info.tls() && identities.tls()) {
      fail(plugin, process, "it serves plaintext (tls=false), although the broker gave it a TLS"
          + " certificate in DTAC_TLS_CERT/DTAC_TLS_KEY and the protocol then requires TLS; to host"
          + " plugins that cannot serve TLS, turn TLS off with PluginBroker.builder().tls(false)");
      return null;
    }
    ManagedChannel channel;
    try {
      channel =
          transports.dial(info, identities.dialCredentials(process, plugin), settings.maxMessageSize());
    } catch (IllegalArgumentException e) {
      fail(plugin, process, e.getMessage());
      return null;
    }
    registry.connected(plugin, process, channel);
    process.onExit().thenAccept(code -> exited(plugin, process, code));
    PluginLogForwarder.open(channel, process.log());
    RegisterResponse reply;
    try {
      reply =
          PluginServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS)
              .register(
                  RegisterRequest.newBuilder()
                      .setConfig(config.configJson())
                      .setDefaultSecure(settings.defaultSecure())
                      .setBrokerAddress(transports.brokerAddressFor(info, settings.brokerAddress()))
                      .build());
    } catch (StatusRuntimeException e) {
      Status status = e.getStatus();
      fail(plugin, process, "Register failed: " + status.getCode() + ": " + status.getDescription()
          + (status.getCause() == null ? "" : " (" + status.getCause().getMessage() + ")"));
      return null;
    }
    List<PluginEndpoint> endpoints = new ArrayList<>();
    for (PluginEndpoint e : reply.getEndpointsList()) {
      if (Action.ofWireName(e.getAction()).isPresent() && !e.getPath().isEmpty()) {
        endpoints.add(e);
      } else {
        LOG.warn(
            "plugin {} registered an endpoint with action {} and path {}; ignored (actions"
                + " are " + Action.wireNames() + "; the path must not be empty)",
            plugin.name(), Messages.quote(e.getAction()), Messages.quote(e.getPath()));
      }
    }
    if (!process.isAlive()) {
      return null;
    }
    if (!registry.running(plugin, endpoints, plugin.rootPath())) {
      // It failed or was stopped meanwhile (e.g. by close()): this launch's process is not kept.
      identities.forget(process);
      channel.shutdownNow();
      process.stop(settings.stopTimeout());
      return null;
    }
    LOG.info(
        "plugin {} loaded from {} (pid {}), root path '{}', endpoints: {}",
        plugin.name(), process.file().getFileName(), process.pid(), plugin.rootPath(),
        plugin.endpointKeys());
    return plugin;
  }

  private void exited(LoadedPlugin plugin, PluginProcess process, int code) {
    if (plugin.process() != process) {
      return;
    }
    ManagedChannel channel = plugin.channel();
    identities.revoke(plugin);
    // Only a live plugin fails here: a stopped one was stopped on purpose, a failed one already
    // says why (e.g. it stopped answering and was killed for it).
    if (registry.transitionFrom(plugin, LIVE, PluginState.FAILED, "process exited with code " + code)) {
      if (channel != null) {
        channel.shutdownNow();
      }
      onFailure.accept(plugin);
    }
  }

  private static final Set<PluginState> LIVE =
      Set.of(PluginState.STARTING, PluginState.RUNNING, PluginState.RESTARTING);

  /**
   * Fails a RUNNING plugin that stopped answering: its calls in flight fail at once and its
   * process is killed (SIGKILL, children included: a hung process may ignore SIGTERM). Does not
   * block.
   *
   * @return whether this call failed it (false: it was not RUNNING)
   */
  public boolean failUnresponsive(LoadedPlugin plugin, String why) {
    PluginProcess process = plugin.process();
    ManagedChannel channel = plugin.channel();
    if (!registry.transitionFrom(plugin, Set.of(PluginState.RUNNING), PluginState.FAILED, why)) {
      return false;
    }
    identities.revoke(plugin);
    if (channel != null) {
      channel.shutdownNow();
    }
    if (process != null) {
      process.kill();
    }
    return true;
  }

  /**
   * Stops a plugin's process (SIGTERM, then SIGKILL after the stop timeout; calls in flight to it
   * fail with UNAVAILABLE) and launches its file again with the same configuration: RESTARTING, then RUNNING or FAILED.
   * The file must announce the same plugin name. Blocks until done; never throws.
   *
   * @return whether the plugin is RUNNING again
   */
  public boolean restart(LoadedPlugin plugin) {
    if (isClosed()) {
      return false;
    }
    PluginProcess old = plugin.process();
    ManagedChannel oldChannel = plugin.channel();
    identities.revoke(plugin);
    if (!registry.restarting(plugin)) {
      return false;
    }
    // As on stop: calls in flight to the old process end now (UNAVAILABLE), and so does its log
    // stream, which would otherwise hold up the plugin's own graceful shutdown.
    if (oldChannel != null) {
      oldChannel.shutdownNow();
    }
    if (old != null) {
      old.stop(settings.stopTimeout());
    }
    Path file = plugin.file();
    PluginConfig config = plugin.config();
    Launch launch;
    try {
      launch = launch(file, config);
    } catch (LaunchFailed e) {
      registry.transition(plugin, PluginState.FAILED, e.getMessage());
      return false;
    } catch (InterruptedException e) {
      registry.transition(plugin, PluginState.FAILED, "restart interrupted");
      Thread.currentThread().interrupt();
      return false;
    }
    try {
      if (!launch.info().name().equals(plugin.name())) {
        fail(plugin, launch.process(), file.getFileName() + " now announces plugin '"
            + launch.info().name() + "', not '" + plugin.name() + "'; load it as a new plugin instead");
        return false;
      }
      adopt(plugin, launch);
      return connectAndRegister(plugin, launch.process(), launch.info(), config) != null;
    } finally {
      settled(launch.process());
    }
  }

  private void fail(LoadedPlugin plugin, PluginProcess process, String why) {
    identities.revoke(plugin);
    identities.forget(process);
    registry.transition(plugin, PluginState.FAILED, why);
    ManagedChannel channel = plugin.channel();
    if (channel != null) {
      channel.shutdownNow();
    }
    process.stop(settings.stopTimeout());
  }

  /** Stops a plugin: state STOPPED, channel closed, process stopped. Idempotent. */
  public void stop(LoadedPlugin plugin) {
    identities.revoke(plugin);
    registry.transition(plugin, PluginState.STOPPED, null);
    ManagedChannel channel = plugin.channel();
    if (channel != null) {
      channel.shutdownNow();
    }
    PluginProcess process = plugin.process();
    if (process != null) {
      process.stop(settings.stopTimeout());
    }
  }

  private static PluginInfo failed(String fileName, Path file, long pid, String why) {
    return new PluginInfo(fileName, PluginDiscovery.stem(file), PluginState.FAILED, List.of(), file, pid, why);
  }
}
