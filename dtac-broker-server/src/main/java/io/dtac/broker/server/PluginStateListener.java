package io.dtac.broker.server;

/**
 * Observes plugin lifecycle transitions. Called synchronously on the thread that makes the
 * transition, in order for each plugin; implementations must be quick and must not throw (an
 * exception is logged and ignored).
 */
@FunctionalInterface
public interface PluginStateListener {
  /**
   * Reports one transition. Each plugin's transitions arrive one at a time, in the order they
   * happened; different plugins' may arrive concurrently.
   *
   * @param plugin the plugin after the transition
   * @param from the state before ({@code null} for the first transition of a new plugin)
   */
  void onStateChange(PluginInfo plugin, PluginState from);
}
