package io.dtac.broker.server.internal;

import io.dtac.broker.api.LoggingArgs;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.api.RegisterRequest;
import io.dtac.broker.api.RegisterResponse;
import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.broker.api.peer.PeerAttestation;
import io.dtac.broker.api.peer.ProcessAncestry;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
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


  /** What every launch needs to know. */
  public record Settings(
      String brokerAddress,
      boolean defaultSecure,
      Duration handshakeTimeout,
      Duration stopTimeout,
      Map<String, String> environment,
      int maxMessageSize) {}

  private final PluginRegistry registry;
  private final Settings settings;
  private final CredentialStore credentials;
  private final TlsMaterial tls;
  private final Transports transports;
  private final LaunchedProcesses processes;

  public PluginLauncher(PluginRegistry registry, Settings settings, CredentialStore credentials) {
    this(registry, settings, credentials, null);
  }

  /** @param tls the run's certificates, or null to talk to plugins in plaintext */
  public PluginLauncher(
      PluginRegistry registry, Settings settings, CredentialStore credentials, TlsMaterial tls) {
    this(registry, settings, credentials, tls, Transports.tcpOnly(), null);
  }

  /**
   * @param transports how plugins are reached: Unix sockets for those that take the offer
   * @param processes where launched processes are registered when the kernel attests callers;
   *     null to identify callers by a credential handed over on each plugin's stdin instead
   */
  public PluginLauncher(
      PluginRegistry registry,
      Settings settings,
      CredentialStore credentials,
      TlsMaterial tls,
      Transports transports,
      LaunchedProcesses processes) {
    this.registry = registry;
    this.settings = settings;
    this.credentials = credentials;
    this.tls = tls;
    this.transports = transports;
    this.processes = processes;
  }

  /** Loads {@code file}; returns the plugin if it reached RUNNING, else null. Never throws. */
  public LoadedPlugin load(Path file, PluginConfig config) {
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
      String credential,
      TlsMaterial.Identity identity) {}

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
    // Where the kernel names the caller, a plugin gets no secret to identify itself by.
    String credential = processes == null ? credentials.issue() : null;
    if (credential != null) {
      env.put(io.dtac.core.Protocol.ENV_CREDENTIAL_ON_STDIN, "true");
    }
    TlsMaterial.Identity identity = issueTls(file, env);
    PluginProcess process;
    try {
      process = PluginProcess.launch(file, PluginEnvironment.of(System.getenv(), env, account), account, credential);
    } catch (IOException e) {
      throw new LaunchFailed("cannot start " + fileName + ": " + e.getMessage(), 0);
    }
    try {
      String line = process.awaitHandshakeLine(settings.handshakeTimeout());
      return new Launch(
          process, HandshakeParser.parse(line, PluginDiscovery.stem(file)), credential, identity);
    } catch (HandshakeException e) {
      process.stop(settings.stopTimeout());
      throw new LaunchFailed("handshake failed: " + fileName + " " + e.getMessage(), process.pid());
    } catch (InterruptedException e) {
      process.kill();
      throw e;
    }
  }

  /** Makes the launched process the plugin's: its process id (or credential) now identifies the plugin. */
  private void adopt(LoadedPlugin plugin, Launch launch) {
    if (processes != null) {
      processes.register(launch.process().pid(), plugin.name());
    }
    if (launch.credential() != null) {
      plugin.credential(launch.credential());
      credentials.bind(launch.credential(), plugin.name());
    }
    if (launch.identity() != null) {
      plugin.tlsCertificate(launch.identity().fingerprint());
      tls.issued().register(launch.identity().fingerprint(), plugin.name());
    }
    launch.process().renameLog(plugin.name());
  }

  /**
   * The plugin's current process identifies it no more: its process id, credential and TLS
   * certificate are forgotten.
   */
  private void revoke(LoadedPlugin plugin) {
    credentials.revoke(plugin.credential());
    revokeTls(plugin);
    PluginProcess process = plugin.process();
    if (processes != null && process != null) {
      processes.forget(process.pid());
    }
  }

  /**
   * What the agent dials the plugin with: where the kernel attests peers, a connection whose
   * server is not the launched process (or a child of it) fails before Register is sent, so a
   * socket put in its place by another process receives nothing.
   */
  private io.grpc.ChannelCredentials dialCredentials(PluginProcess process, LoadedPlugin plugin) {
    io.grpc.ChannelCredentials base =
        tls == null ? InsecureChannelCredentials.create() : tls.channelCredentials(plugin.tlsCertificate());
    if (processes == null) {
      return base;
    }
    long pid = process.pid();
    return PeerAttestation.client(
        base,
        () -> candidates(pid),
        peer -> peer.known() && ProcessAncestry.isSelfOrDescendant(peer.pid(), pid)
            ? null
            : "the plugin's address is served by " + peer + ", not by the plugin process " + pid
                + " the agent launched; refusing to talk to it");
  }

  private static java.util.Collection<Long> candidates(long pid) {
    List<Long> pids = new ArrayList<>();
    pids.add(pid);
    ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
    return pids;
  }

  /** Issues the plugin's TLS identity into {@code env}, when the run uses TLS; else null. */
  private TlsMaterial.Identity issueTls(Path file, Map<String, String> env) {
    TlsMaterial.Identity identity = tls == null ? null : tls.issuePlugin(PluginDiscovery.stem(file));
    if (identity != null) {
      env.put(io.dtac.core.Protocol.ENV_TLS_CERT, identity.certificatePem());
      env.put(io.dtac.core.Protocol.ENV_TLS_KEY, identity.privateKeyPem());
      env.put(io.dtac.core.Protocol.ENV_TLS_CA, tls.agentCertificatePem());
    }
    return identity;
  }

  private LoadedPlugin connectAndRegister(
      LoadedPlugin plugin, PluginProcess process, HandshakeParser.ConnectInfo info, PluginConfig config) {
    if (info.tls() && tls == null) {
      fail(plugin, process, "it serves TLS, but the broker gave it no certificate to serve");
      return null;
    }
    if (!info.tls() && tls != null) {
      fail(plugin, process, "it serves plaintext (tls=false), although the broker gave it a TLS"
          + " certificate in DTAC_TLS_CERT/DTAC_TLS_KEY and the protocol then requires TLS; to host"
          + " plugins that cannot serve TLS, turn TLS off with PluginBroker.builder().tls(false)");
      return null;
    }
    ManagedChannel channel;
    try {
      channel =
          transports.dial(info, dialCredentials(process, plugin), settings.maxMessageSize());
    } catch (IllegalArgumentException e) {
      fail(plugin, process, e.getMessage());
      return null;
    }
    registry.connected(plugin, process, channel);
    process.onExit().thenAccept(code -> exited(plugin, process, code));
    PluginServiceGrpc.newStub(channel)
        .loggingStream(LoggingArgs.getDefaultInstance(), new PluginLogForwarder(plugin.name()));
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
      if (io.dtac.core.Action.ofWireName(e.getAction()).isPresent() && !e.getPath().isEmpty()) {
        endpoints.add(e);
      } else {
        LOG.warn(
            "plugin {} registered an endpoint with action '{}' and path '{}'; ignored (actions"
                + " are " + io.dtac.core.Action.wireNames() + "; the path must not be empty)",
            plugin.name(), e.getAction(), e.getPath());
      }
    }
    if (!process.isAlive()) {
      return null;
    }
    if (!registry.running(plugin, endpoints, plugin.rootPath())) {
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
    revoke(plugin);
    // Only a live plugin fails here: a stopped one was stopped on purpose, a failed one already
    // says why (e.g. it stopped answering and was killed for it).
    if (registry.transitionFrom(plugin, LIVE, PluginState.FAILED, "process exited with code " + code)
        && channel != null) {
      channel.shutdownNow();
    }
  }

  private static final Set<PluginState> LIVE =
      Set.of(PluginState.STARTING, PluginState.RUNNING, PluginState.RESTARTING);

  /**
   * Fails a RUNNING plugin that stopped answering: its calls in flight fail at once and its
   * process is killed (SIGKILL, children included: a hung process may ignore SIGTERM). Does not
   * block.
   */
  public void failUnresponsive(LoadedPlugin plugin, String why) {
    PluginProcess process = plugin.process();
    ManagedChannel channel = plugin.channel();
    if (!registry.transitionFrom(plugin, Set.of(PluginState.RUNNING), PluginState.FAILED, why)) {
      return;
    }
    revoke(plugin);
    if (channel != null) {
      channel.shutdownNow();
    }
    if (process != null) {
      process.kill();
    }
  }

  /**
   * Stops a plugin's process (SIGTERM, then SIGKILL after the stop timeout; calls in flight to it
   * fail with UNAVAILABLE) and launches its file again with the same configuration: RESTARTING, then RUNNING or FAILED.
   * The file must announce the same plugin name. Blocks until done; never throws.
   *
   * @return whether the plugin is RUNNING again
   */
  public boolean restart(LoadedPlugin plugin) {
    PluginProcess old = plugin.process();
    ManagedChannel oldChannel = plugin.channel();
    revoke(plugin);
    plugin.detach();
    registry.transition(plugin, PluginState.RESTARTING, plugin.failure());
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
    if (!launch.info().name().equals(plugin.name())) {
      fail(plugin, launch.process(), file.getFileName() + " now announces plugin '"
          + launch.info().name() + "', not '" + plugin.name() + "'; load it as a new plugin instead");
      return false;
    }
    adopt(plugin, launch);
    return connectAndRegister(plugin, launch.process(), launch.info(), config) != null;
  }

  private void fail(LoadedPlugin plugin, PluginProcess process, String why) {
    revoke(plugin);
    if (processes != null) {
      processes.forget(process.pid());
    }
    registry.transition(plugin, PluginState.FAILED, why);
    ManagedChannel channel = plugin.channel();
    if (channel != null) {
      channel.shutdownNow();
    }
    process.stop(settings.stopTimeout());
  }

  /** Stops a plugin: state STOPPED, channel closed, process stopped. Idempotent. */
  public void stop(LoadedPlugin plugin) {
    revoke(plugin);
    if (plugin.state() != PluginState.STOPPED) {
      registry.transition(plugin, PluginState.STOPPED, null);
    }
    ManagedChannel channel = plugin.channel();
    if (channel != null) {
      channel.shutdownNow();
    }
    PluginProcess process = plugin.process();
    if (process != null) {
      process.stop(settings.stopTimeout());
    }
  }

  /** The current launch's certificate opens nothing from now on (see {@link IssuedCertificates}). */
  private void revokeTls(LoadedPlugin plugin) {
    if (tls != null) {
      tls.issued().revoke(plugin.tlsCertificate());
    }
  }

  private static PluginInfo failed(String fileName, Path file, long pid, String why) {
    return new PluginInfo(fileName, PluginDiscovery.stem(file), PluginState.FAILED, List.of(), file, pid, why);
  }
}
