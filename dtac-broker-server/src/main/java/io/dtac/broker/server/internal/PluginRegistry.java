package io.dtac.broker.server.internal;

import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.broker.server.PluginStateListener;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugins the broker knows, keyed by case-sensitive name in load order, plus the plugin files
 * that failed before they could name themselves. Thread-safe; every state change goes through
 * here and reaches the listeners.
 */
public final class PluginRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(PluginRegistry.class);

  private final Map<String, LoadedPlugin> byName = new ConcurrentHashMap<>();
  private final List<LoadedPlugin> ordered = new CopyOnWriteArrayList<>();
  private final List<PluginInfo> unnamedFailures = new CopyOnWriteArrayList<>();
  private final List<PluginStateListener> listeners;

  public PluginRegistry(List<PluginStateListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  /**
   * Adds a plugin under its name.
   *
   * @return null if added, else the plugin already holding the name
   */
  public LoadedPlugin add(LoadedPlugin plugin) {
    LoadedPlugin existing = byName.putIfAbsent(plugin.name(), plugin);
    if (existing != null) {
      return existing;
    }
    ordered.add(plugin);
    fire(plugin, null);
    return null;
  }

  public void remove(LoadedPlugin plugin) {
    byName.remove(plugin.name(), plugin);
    ordered.remove(plugin);
  }

  /** Records a plugin file that failed before its handshake named it. */
  public void addUnnamedFailure(PluginInfo info) {
    unnamedFailures.add(info);
    LOG.error("plugin {} failed to load: {}", info.name(), info.failure().orElse("unknown error"));
    for (PluginStateListener l : listeners) {
      notify(l, info, null);
    }
  }

  public LoadedPlugin get(String name) {
    return byName.get(name);
  }

  /** The named plugins, in load order. */
  public List<LoadedPlugin> plugins() {
    return List.copyOf(ordered);
  }

  /** Every plugin, named ones first in load order, then files that failed unnamed. */
  public List<PluginInfo> snapshot() {
    List<PluginInfo> all = new ArrayList<>();
    ordered.forEach(p -> all.add(p.snapshot()));
    all.addAll(unnamedFailures);
    return all;
  }

  /** "HelloPlugin, CalculatorPlugin", or "(none)". */
  public String names() {
    String names = ordered.stream().map(LoadedPlugin::name).collect(Collectors.joining(", "));
    return names.isEmpty() ? "(none)" : names;
  }

  public void connected(LoadedPlugin plugin, PluginProcess process, ManagedChannel channel) {
    plugin.connect(process, channel);
  }

  /**
   * Records a registered plugin as RUNNING, unless it failed (or was stopped) meanwhile.
   *
   * @return whether it is now RUNNING
   */
  public boolean running(LoadedPlugin plugin, List<PluginEndpoint> endpoints, String rootPath) {
    plugin.registered(endpoints, rootPath);
    return transitionFrom(
        plugin, Set.of(PluginState.STARTING, PluginState.RESTARTING), PluginState.RUNNING, null);
  }

  /**
   * Like {@link #transition}, but only if the plugin is in one of {@code from}: a compare-and-set
   * for the threads that race to report the same failure.
   *
   * @return whether the transition happened
   */
  public boolean transitionFrom(
      LoadedPlugin plugin, Set<PluginState> from, PluginState to, String failure) {
    PluginState previous;
    synchronized (plugin) {
      previous = plugin.state();
      if (!from.contains(previous)) {
        return false;
      }
      plugin.state(to, failure);
    }
    log(plugin, previous, to, failure);
    fire(plugin, previous);
    return true;
  }

  /**
   * The latest record of plugin file {@code file}: its latest failure before it was named (e.g.
   * a duplicate name), else its named plugin.
   */
  public Optional<PluginInfo> latestFor(Path file) {
    PluginInfo latest = null;
    for (PluginInfo info : unnamedFailures) {
      if (file.equals(info.file())) {
        latest = info;
      }
    }
    if (latest != null) {
      return Optional.of(latest);
    }
    for (LoadedPlugin p : ordered) {
      if (file.equals(p.file())) {
        return Optional.of(p.snapshot());
      }
    }
    return Optional.empty();
  }

  /** Forgets the unnamed failures of {@code file} (before it is loaded again). */
  public void forgetFailures(Path file) {
    unnamedFailures.removeIf(info -> file.equals(info.file()));
  }

  public void transition(LoadedPlugin plugin, PluginState to, String failure) {
    PluginState from;
    synchronized (plugin) {
      from = plugin.state();
      plugin.state(to, failure);
    }
    log(plugin, from, to, failure);
    fire(plugin, from);
  }

  private static void log(LoadedPlugin plugin, PluginState from, PluginState to, String failure) {
    if (to == PluginState.FAILED) {
      LOG.error("plugin {} failed: {}", plugin.name(), failure);
    } else {
      LOG.info("plugin {}: {} -> {}", plugin.name(), from, to);
    }
  }

  private void fire(LoadedPlugin plugin, PluginState from) {
    if (listeners.isEmpty()) {
      return;
    }
    PluginInfo info = plugin.snapshot();
    for (PluginStateListener l : listeners) {
      notify(l, info, from);
    }
  }

  private static void notify(PluginStateListener l, PluginInfo info, PluginState from) {
    try {
      l.onStateChange(info, from);
    } catch (RuntimeException e) {
      LOG.warn("plugin state listener {} threw; ignored", l, e);
    }
  }
}
