package io.dtac.broker.server.internal;

import com.google.common.util.concurrent.MoreExecutors;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The broker's live record of one plugin: its identity, its channel, and its {@link Status}. The
 * status changes only through {@link PluginRegistry}, which swaps it whole under this object's
 * monitor and reports each change to the listeners from the very value it wrote.
 */
public final class LoadedPlugin {
  /**
   * What a plugin is at one moment: its state and failure, the root path and endpoints it
   * registered, and its current process. Immutable: a reader sees one whole value, never half of
   * a change.
   */
  record Status(
      PluginState state,
      String failure,
      String rootPath,
      Map<String, PluginEndpoint> endpoints,
      PluginProcess process) {
    Status withState(PluginState to, String why) {
      return new Status(to, why, rootPath, endpoints, process);
    }

    Status withProcess(PluginProcess p) {
      return new Status(state, failure, rootPath, endpoints, p);
    }

    Status registered(List<PluginEndpoint> list, String root) {
      Map<String, PluginEndpoint> map = new LinkedHashMap<>();
      for (PluginEndpoint e : list) {
        map.put(e.getAction() + ":" + e.getPath(), e);
      }
      return new Status(state, failure, root, Collections.unmodifiableMap(map), process);
    }
  }

  private final String name;
  private final Path file;
  private volatile Status status;
  private final StateEvents events = new StateEvents();
  private volatile ManagedChannel channel;
  private volatile PluginServiceGrpc.PluginServiceFutureStub stub;
  private volatile String credential;
  private volatile String tlsCertificate;
  private volatile PluginConfig config;

  public LoadedPlugin(String name, String rootPath, Path file) {
    this.name = name;
    this.file = file;
    this.status = new Status(PluginState.STARTING, null, rootPath, Map.of(), null);
  }

  public String name() {
    return name;
  }

  public String rootPath() {
    return status.rootPath();
  }

  public Path file() {
    return file;
  }

  public PluginState state() {
    return status.state();
  }

  public String failure() {
    return status.failure();
  }

  public PluginProcess process() {
    return status.process();
  }

  /** The whole status, read once. */
  Status status() {
    return status;
  }

  /** Replaces the status; only {@link PluginRegistry} calls this, holding this object's monitor. */
  void status(Status next) {
    this.status = next;
  }

  /** This plugin's state events, in the order of its changes. */
  StateEvents events() {
    return events;
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
    return status.endpoints().get(methodKey);
  }

  public String endpointKeys() {
    Map<String, PluginEndpoint> endpoints = status.endpoints();
    return endpoints.isEmpty() ? "(none)" : String.join(", ", endpoints.keySet());
  }

  /** The configuration it was loaded with; a restart or reload launches it with the same. */
  public PluginConfig config() {
    return config;
  }

  void config(PluginConfig config) {
    this.config = config;
  }

  /** Forgets the current channel (before a restart launches a new process); the registry forgets the process. */
  void detachChannel() {
    this.stub = null;
    this.channel = null;
  }

  /** The channel to the current process; the registry records the process. */
  void connect(ManagedChannel channel) {
    this.channel = channel;
    // Routed calls complete on the transport thread: the router's callbacks never block, and a
    // hop to an executor thread would cost more than the callback itself.
    this.stub = PluginServiceGrpc.newFutureStub(channel).withExecutor(MoreExecutors.directExecutor());
  }

  public PluginInfo snapshot() {
    return info(status);
  }

  /** {@code s} as a {@link PluginInfo} of this plugin. */
  PluginInfo info(Status s) {
    PluginProcess p = s.process();
    return new PluginInfo(
        name,
        s.rootPath(),
        s.state(),
        io.dtac.core.internal.Protos.endpoints(List.copyOf(s.endpoints().values())),
        file,
        p == null ? 0 : p.pid(),
        s.failure());
  }

  @Override
  public String toString() {
    Status s = status;
    return name + "[" + s.state() + "] endpoints: " + String.join(", ", s.endpoints().keySet());
  }
}
