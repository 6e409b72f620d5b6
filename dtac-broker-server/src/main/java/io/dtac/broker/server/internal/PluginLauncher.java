package io.dtac.broker.server.internal;

import io.dtac.broker.api.LoggingArgs;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.api.RegisterRequest;
import io.dtac.broker.api.RegisterResponse;
import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
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
  /** The environment variable carrying a plugin's broker credential (see BrokerClient). */
  public static final String BROKER_CREDENTIAL_ENV = "DTAC_BROKER_CREDENTIAL";

  private static final Set<String> ACTIONS = Set.of("create", "read", "write", "delete");

  /** What every launch needs to know. */
  public record Settings(
      String brokerAddress,
      boolean defaultSecure,
      Duration handshakeTimeout,
      Duration stopTimeout,
      Map<String, String> environment) {}

  private final PluginRegistry registry;
  private final Settings settings;
  private final CredentialStore credentials;
  private final Transports transports;

  public PluginLauncher(PluginRegistry registry, Settings settings, CredentialStore credentials) {
    this(registry, settings, credentials, Transports.tcpOnly());
  }

  public PluginLauncher(
      PluginRegistry registry, Settings settings, CredentialStore credentials, Transports transports) {
    this.registry = registry;
    this.settings = settings;
    this.credentials = credentials;
    this.transports = transports;
  }

  /** Loads {@code file}; returns the plugin if it reached RUNNING, else null. Never throws. */
  public LoadedPlugin load(Path file, PluginConfig config) {
    String fileName = file.getFileName().toString();
    try {
      PluginDiscovery.check(file, config);
    } catch (IOException | SecurityException e) {
      registry.addUnnamedFailure(failed(fileName, file, 0, e.getMessage()));
      return null;
    }
    String credential = credentials.issue();
    Map<String, String> env = new HashMap<>(settings.environment());
    env.put(BROKER_CREDENTIAL_ENV, credential);
    PluginProcess process;
    try {
      process = PluginProcess.launch(file, env);
    } catch (IOException e) {
      registry.addUnnamedFailure(failed(fileName, file, 0, "cannot start " + fileName + ": " + e.getMessage()));
      return null;
    }
    HandshakeParser.ConnectInfo info;
    try {
      String line = process.awaitHandshakeLine(settings.handshakeTimeout());
      info = HandshakeParser.parse(line, PluginDiscovery.stem(file));
    } catch (HandshakeException e) {
      process.stop(settings.stopTimeout());
      registry.addUnnamedFailure(
          failed(fileName, file, process.pid(), "handshake failed: " + fileName + " " + e.getMessage()));
      return null;
    } catch (InterruptedException e) {
      process.kill();
      Thread.currentThread().interrupt();
      return null;
    }
    String rootPath = config.rootPath().orElse(info.rootPath());
    LoadedPlugin plugin = new LoadedPlugin(info.name(), rootPath, file);
    LoadedPlugin holder = registry.add(plugin);
    if (holder != null) {
      process.stop(settings.stopTimeout());
      registry.addUnnamedFailure(
          failed(
              fileName,
              file,
              process.pid(),
              "duplicate plugin name '" + info.name() + "': already loaded from "
                  + holder.file().getFileName() + "; " + fileName + " was stopped"));
      return null;
    }
    plugin.credential(credential);
    credentials.bind(credential, info.name());
    process.renameLog(info.name());
    return connectAndRegister(plugin, process, info, config);
  }

  private LoadedPlugin connectAndRegister(
      LoadedPlugin plugin, PluginProcess process, HandshakeParser.ConnectInfo info, PluginConfig config) {
    if (info.tls()) {
      fail(plugin, process, "it serves TLS, but the broker gave it no certificate to serve");
      return null;
    }
    ManagedChannel channel;
    try {
      channel = transports.dial(info, InsecureChannelCredentials.create());
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
      fail(plugin, process, "Register failed: " + e.getStatus());
      return null;
    }
    List<PluginEndpoint> endpoints = new ArrayList<>();
    for (PluginEndpoint e : reply.getEndpointsList()) {
      if (ACTIONS.contains(e.getAction()) && !e.getPath().isEmpty()) {
        endpoints.add(e);
      } else {
        LOG.warn(
            "plugin {} registered an endpoint with action '{}' and path '{}'; ignored (actions"
                + " are create, read, write, delete; the path must not be empty)",
            plugin.name(), e.getAction(), e.getPath());
      }
    }
    if (!process.isAlive()) {
      return null;
    }
    registry.running(plugin, endpoints, plugin.rootPath());
    LOG.info(
        "plugin {} loaded from {} (pid {}), root path '{}', endpoints: {}",
        plugin.name(), process.file().getFileName(), process.pid(), plugin.rootPath(),
        plugin.endpointKeys());
    return plugin;
  }

  private void exited(LoadedPlugin plugin, PluginProcess process, int code) {
    if (plugin.process() != process || plugin.state() == PluginState.STOPPED) {
      return;
    }
    ManagedChannel channel = plugin.channel();
    credentials.revoke(plugin.credential());
    registry.transition(plugin, PluginState.FAILED, "process exited with code " + code);
    if (channel != null) {
      channel.shutdownNow();
    }
  }

  private void fail(LoadedPlugin plugin, PluginProcess process, String why) {
    credentials.revoke(plugin.credential());
    registry.transition(plugin, PluginState.FAILED, why);
    ManagedChannel channel = plugin.channel();
    if (channel != null) {
      channel.shutdownNow();
    }
    process.stop(settings.stopTimeout());
  }

  /** Stops a plugin: state STOPPED, channel closed, process stopped. Idempotent. */
  public void stop(LoadedPlugin plugin) {
    credentials.revoke(plugin.credential());
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

  private static PluginInfo failed(String fileName, Path file, long pid, String why) {
    return new PluginInfo(fileName, PluginDiscovery.stem(file), PluginState.FAILED, List.of(), file, pid, why);
  }
}
