package io.dtac.broker.server;

import io.dtac.core.EndpointInfo;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/** An immutable snapshot of one plugin the broker manages: what it is and in which state. */
public final class PluginInfo {
  private final String name;
  private final String rootPath;
  private final PluginState state;
  private final List<EndpointInfo> endpoints;
  private final Path file;
  private final long pid;
  private final String failure;

  public PluginInfo(
      String name,
      String rootPath,
      PluginState state,
      List<EndpointInfo> endpoints,
      Path file,
      long pid,
      String failure) {
    this.name = Objects.requireNonNull(name, "name");
    this.rootPath = Objects.requireNonNull(rootPath, "rootPath");
    this.state = Objects.requireNonNull(state, "state");
    this.endpoints = List.copyOf(endpoints);
    this.file = file;
    this.pid = pid;
    this.failure = failure;
  }

  /** The plugin's name, e.g. "HelloPlugin"; for a file that failed before its handshake, the file name. */
  public String name() {
    return name;
  }

  /** Its root path, e.g. "hello". */
  public String rootPath() {
    return rootPath;
  }

  public PluginState state() {
    return state;
  }

  /** The endpoints it registered; empty until it is RUNNING. */
  public List<EndpointInfo> endpoints() {
    return endpoints;
  }

  /** The plugin file it was launched from; null for plugins not launched from a file. */
  public Path file() {
    return file;
  }

  /** The process id, when a process runs. */
  public OptionalLong pid() {
    return pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
  }

  /** Why the plugin is FAILED. */
  public Optional<String> failure() {
    return Optional.ofNullable(failure);
  }

  @Override
  public String toString() {
    return name + "[" + state + (failure == null ? "" : ": " + failure) + "]";
  }
}
