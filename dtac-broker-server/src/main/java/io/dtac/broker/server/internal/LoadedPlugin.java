package io.dtac.broker.server.internal;

import com.google.common.util.concurrent.MoreExecutors;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The broker's live record of one plugin: its identity, its endpoints, its channel and process,
 * and its state. Fields change only through {@link PluginRegistry}, which notifies listeners.
 */
public final class LoadedPlugin {
  private final String name;
  private final Path file;
  private volatile String rootPath;
  private volatile PluginState state = PluginState.STARTING;
  private volatile String failure;
  private volatile Map<String, PluginEndpoint> endpoints = Map.of();
  private volatile ManagedChannel channel;
  private volatile PluginServiceGrpc.PluginServiceFutureStub stub;
  private volatile PluginProcess process;
  private volatile String credential;
  private volatile String tlsCertificate;
  private volatile PluginConfig config;

  public LoadedPlugin(String name, String rootPath, Path file) {
    this.name = name;
    this.rootPath = rootPath;
    this.file = file;
  }

  public String name() {
    return name;
  }

  public String rootPath() {
    return rootPath;
  }

  public Path file() {
    return file;
  }

  public PluginState state() {
    return state;
  }

  public String failure() {
    return failure;
  }

  public PluginProcess process() {
    return process;
  }

  /** The broker credential issued to the current process, or null. */
  String credential() {
    return credential;
  }

  void credential(String credential) {
    this.credential = credential;
  }

  /** The fingerprint of the TLS certificate issued to the current process, or null. */
  String tlsCertificate() {
    return tlsCertificate;
  }

  void tlsCertificate(String fingerprint) {
    this.tlsCertificate = fingerprint;
  }

  public ManagedChannel channel() {
    return channel;
  }

  public PluginServiceGrpc.PluginServiceFutureStub stub() {
    return stub;
  }

  /** The endpoint for key {@code ACTION:PATH}, or null. */
  public PluginEndpoint endpoint(String methodKey) {
    return endpoints.get(methodKey);
  }

  public String endpointKeys() {
    return endpoints.isEmpty() ? "(none)" : String.join(", ", endpoints.keySet());
  }

  /** The configuration it was loaded with; a restart or reload launches it with the same. */
  public PluginConfig config() {
    return config;
  }

  void config(PluginConfig config) {
    this.config = config;
  }

  /** Forgets the current process and channel (before a restart launches new ones). */
  void detach() {
    this.stub = null;
    this.channel = null;
    this.process = null;
  }

  void connect(PluginProcess process, ManagedChannel channel) {
    this.process = process;
    this.channel = channel;
    // Routed calls complete on the transport thread: the router's callbacks never block, and a
    // hop to an executor thread would cost more than the callback itself.
    this.stub = PluginServiceGrpc.newFutureStub(channel).withExecutor(MoreExecutors.directExecutor());
  }

  void registered(List<PluginEndpoint> list, String rootPath) {
    Map<String, PluginEndpoint> map = new LinkedHashMap<>();
    for (PluginEndpoint e : list) {
      map.put(e.getAction() + ":" + e.getPath(), e);
    }
    this.endpoints = map;
    this.rootPath = rootPath;
  }

  void state(PluginState state, String failure) {
    this.state = state;
    this.failure = failure;
  }

  public PluginInfo snapshot() {
    PluginProcess p = process;
    return new PluginInfo(
        name,
        rootPath,
        state,
        io.dtac.core.internal.Protos.endpoints(List.copyOf(endpoints.values())),
        file,
        p == null ? 0 : p.pid(),
        failure);
  }

  @Override
  public String toString() {
    return name + "[" + state + "] endpoints: "
        + endpoints.keySet().stream().collect(Collectors.joining(", "));
  }
}
