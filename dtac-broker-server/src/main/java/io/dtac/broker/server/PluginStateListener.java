package io.dtac.broker.server;

/**
 * Observes plugin lifecycle transitions.
 *
 * <p>For each plugin, calls come one at a time and in the order of its transitions, and each
 * describes its own transition: {@code plugin} is the state it produced (never a later one) and
 * {@code from} the state before it, which is the state of the previous call for that plugin. A
 * call runs on the thread that made the transition or, when another thread is delivering that
 * plugin's earlier transitions at that moment, on that thread right after them; calls for
 * different plugins may run at the same time. A transition of the same plugin that the listener
 * itself causes is reported after its call returns.
 *
 * <p>Implementations must be quick and must not throw (a {@link RuntimeException} is logged and
 * ignored; it does not stop later calls).
 */
@FunctionalInterface
public interface PluginStateListener {
  /**
   * @param plugin the plugin as the transition left it
   * @param from the state before ({@code null} for the first transition of a new plugin)
   */
  void onStateChange(PluginInfo plugin, PluginState from);
}
