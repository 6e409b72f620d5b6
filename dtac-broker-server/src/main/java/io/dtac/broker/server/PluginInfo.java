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

  /**
   * A snapshot; the broker makes them, tests and tools may too.
   *
   * @param name the plugin's name
   * @param rootPath its root path
   * @param state its state
   * @param endpoints the endpoints it registered, copied
   * @param file the plugin file, or null when it was not launched from one
   * @param pid its process id, or 0 or less when no process runs
   * @param failure why it is FAILED, or null
   * @throws NullPointerException if {@code name}, {@code rootPath}, {@code state} or {@code
   *     endpoints} (or one of them) is null
   */
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

  /**
   * The plugin's name.
   *
   * @return the name it announced, e.g. "HelloPlugin"; for a file that failed before its
   *     handshake, the file's name
   */
  public String name() {
    return name;
  }

  /**
   * The path its endpoints live under at a REST gateway.
   *
   * @return its root path, e.g. "hello"
   */
  public String rootPath() {
    return rootPath;
  }

  /**
   * Where it is in its lifecycle.
   *
   * @return its state when the snapshot was taken
   */
  public PluginState state() {
    return state;
  }

  /**
   * The endpoints it registered.
   *
   * @return an unmodifiable list; empty until it is RUNNING
   */
  public List<EndpointInfo> endpoints() {
    return endpoints;
  }

  /**
   * The plugin file it was launched from.
   *
   * @return the file, or null for plugins not launched from a file
   */
  public Path file() {
    return file;
  }

  /**
   * The process id of its plugin process.
   *
   * @return the pid, or empty when no process runs
   */
  public OptionalLong pid() {
    return pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
  }

  /**
   * Why the plugin is FAILED (or failed last, while RESTARTING).
   *
   * @return a message naming the plugin and the cause, or empty
   */
  public Optional<String> failure() {
    return Optional.ofNullable(failure);
  }

  @Override
  public String toString() {
    return name + "[" + state + (failure == null ? "" : ": " + failure) + "]";
  }
}
