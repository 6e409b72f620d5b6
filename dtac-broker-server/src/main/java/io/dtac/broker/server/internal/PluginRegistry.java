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
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plugins the broker knows, keyed by case-sensitive name in load order, plus the plugin files
 * that failed before they could name themselves. Thread-safe; every state change goes through
 * here and reaches the listeners.
 *
 * <p>A change swaps the plugin's whole {@link LoadedPlugin.Status} under the plugin's monitor and,
 * under that monitor still, queues the event that reports it, built from the value written: so
 * each plugin's events reach the listeners (and the log) one at a time, in the order of its
 * changes, and each describes its own transition, never a later state. Events are delivered after
 * the monitor is released (see {@link StateEvents}). STOPPED is final: once a plugin is stopped,
 * no late report (a failure, a finished registration) changes it again.
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
    synchronized (plugin) {
      queue(plugin, null, plugin.status());
    }
    plugin.events().deliver();
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

  /** Records the plugin's new process (null: none) and its channel; not a state change. */
  public void connected(LoadedPlugin plugin, PluginProcess process, ManagedChannel channel) {
    synchronized (plugin) {
      plugin.status(plugin.status().withProcess(process));
      plugin.connect(channel);
    }
  }

  /**
   * Records a registered plugin as RUNNING, with its endpoints, unless it failed (or was stopped)
   * meanwhile: one change.
   *
   * @return whether it is now RUNNING
   */
  public boolean running(LoadedPlugin plugin, List<PluginEndpoint> endpoints, String rootPath) {
    return change(plugin, s -> STARTED.contains(s.state())
        ? s.registered(endpoints, rootPath).withState(PluginState.RUNNING, null)
        : null);
  }

  private static final Set<PluginState> STARTED = Set.of(PluginState.STARTING, PluginState.RESTARTING);

  /**
   * Marks a plugin RESTARTING, keeping its failure as the reason and forgetting its process and
   * channel: one change.
   *
   * @return false if it is STOPPED (then nothing changed and it must not be launched again)
   */
  public boolean restarting(LoadedPlugin plugin) {
    boolean changed = change(plugin, s -> s.withState(PluginState.RESTARTING, s.failure()).withProcess(null));
    if (changed) {
      plugin.detachChannel();
    }
    return changed;
  }

  /**
   * Like {@link #transition}, but only if the plugin is in one of {@code from}: a compare-and-set
   * for the threads that race to report the same failure.
   *
   * @return whether the transition happened
   */
  public boolean transitionFrom(
      LoadedPlugin plugin, Set<PluginState> from, PluginState to, String failure) {
    return change(plugin, s -> from.contains(s.state()) ? s.withState(to, failure) : null);
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

  /**
   * Moves a plugin to {@code to}, from any state but STOPPED.
   *
   * @return whether it changed (false: it was STOPPED)
   */
  public boolean transition(LoadedPlugin plugin, PluginState to, String failure) {
    return change(plugin, s -> s.withState(to, failure));
  }

  /**
   * Swaps the plugin's status for {@code next}'s answer (null: no change) and queues the event
   * that reports it, both under the plugin's monitor; then delivers. A STOPPED plugin stays so.
   */
  private boolean change(LoadedPlugin plugin, UnaryOperator<LoadedPlugin.Status> next) {
    synchronized (plugin) {
      LoadedPlugin.Status before = plugin.status();
      if (before.state() == PluginState.STOPPED) {
        return false;
      }
      LoadedPlugin.Status after = next.apply(before);
      if (after == null) {
        return false;
      }
      plugin.status(after);
      queue(plugin, before.state(), after);
    }
    plugin.events().deliver();
    return true;
  }

  /** Queues the event of the change to {@code after}; the caller holds the plugin's monitor. */
  private void queue(LoadedPlugin plugin, PluginState from, LoadedPlugin.Status after) {
    PluginInfo info = plugin.info(after);
    plugin.events().add(() -> {
      log(info, from);
      for (PluginStateListener l : listeners) {
        notify(l, info, from);
      }
    });
  }

  private static void log(PluginInfo info, PluginState from) {
    if (info.state() == PluginState.FAILED) {
      LOG.error("plugin {} failed: {}", info.name(), info.failure().orElse(null));
    } else if (from != null) {
      LOG.info("plugin {}: {} -> {}", info.name(), from, info.state());
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
