package io.dtac.examples.agent;

import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the REST gateway needs from the agent; {@link #of} adapts the broker. Every method may block
 * the calling thread; each may throw {@link IllegalStateException} once the agent is closing.
 */
interface GatewayBackend {
  /** A snapshot of every plugin. */
  List<PluginInfo> plugins();

  /**
   * Calls an endpoint, blocking.
   *
   * @throws PluginCallException with the reason it failed
   */
  Response call(String pluginName, String path, Action action, Request request) throws PluginCallException;

  /** The directory the agent loads {@code *.plugin} files from. */
  Path pluginDirectory();

  /**
   * Loads {@code file}, already checked to be a plugin file in {@link #pluginDirectory()};
   * blocks until it is RUNNING or FAILED.
   */
  PluginInfo load(Path file);

  /** Stops and forgets the plugin; empty if there is none of that name. */
  Optional<PluginInfo> unload(String name);

  /** Restarts the plugin from its file; blocks until RUNNING or FAILED; empty if unknown. */
  Optional<PluginInfo> reload(String name);

  /** The agent's access policy file, if it has one. */
  Optional<Path> accessPolicyFile();

  /**
   * Re-reads {@link #accessPolicyFile()}.
   *
   * @throws IllegalArgumentException if the file is unreadable or invalid (the previous policy
   *     stays in force)
   */
  AccessPolicy reloadAccessPolicy();

  /**
   * The broker as a backend.
   *
   * @param pluginDirectory the directory the broker was built with
   * @param accessPolicyFile the access policy file the broker was built with, if any
   */
  static GatewayBackend of(PluginBroker broker, Path pluginDirectory, Optional<Path> accessPolicyFile) {
    Objects.requireNonNull(broker, "broker");
    Objects.requireNonNull(pluginDirectory, "pluginDirectory");
    Objects.requireNonNull(accessPolicyFile, "accessPolicyFile");
    return new GatewayBackend() {
      @Override
      public List<PluginInfo> plugins() {
        return broker.plugins();
      }

      @Override
      public Response call(String plugin, String path, Action action, Request r) throws PluginCallException {
        return broker.call(plugin, path, action, r);
      }

      @Override
      public Path pluginDirectory() {
        return pluginDirectory;
      }

      @Override
      public PluginInfo load(Path file) {
        return broker.load(file);
      }

      @Override
      public Optional<PluginInfo> unload(String name) {
        return broker.unload(name);
      }

      @Override
      public Optional<PluginInfo> reload(String name) {
        return broker.reload(name);
      }

      @Override
      public Optional<Path> accessPolicyFile() {
        return accessPolicyFile;
      }

      @Override
      public AccessPolicy reloadAccessPolicy() {
        return broker.reloadAccessPolicy();
      }
    };
  }
}
