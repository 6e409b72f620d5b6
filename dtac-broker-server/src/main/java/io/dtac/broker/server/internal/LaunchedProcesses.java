package io.dtac.broker.server.internal;

import io.dtac.broker.api.peer.ProcessAncestry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The plugin processes this broker launched, by process id: how a kernel-attested peer (see
 * {@code io.dtac.broker.api.peer}) becomes a plugin name. A process the plugin started counts as
 * the plugin (its descendants are its own business); any other process is nobody. A process is
 * registered once its handshake names the plugin and forgotten when it stops or exits, so a
 * connection that outlives its plugin process identifies no one.
 */
public final class LaunchedProcesses {
  private final Map<Long, String> nameByPid = new ConcurrentHashMap<>();

  /** {@code pid} is now the plugin {@code name}. */
  public void register(long pid, String name) {
    nameByPid.put(pid, name);
  }

  /** {@code pid} identifies no plugin from now on. */
  public void forget(long pid) {
    nameByPid.remove(pid);
  }

  /** The plugin that {@code pid} is, or descends from; null if none. */
  public String pluginFor(long pid) {
    // The plugin process itself is the common case: a map lookup, no /proc read per call.
    String name = nameByPid.get(pid);
    if (name != null) {
      return name;
    }
    return ProcessAncestry.selfOrAncestor(pid, nameByPid::containsKey).map(nameByPid::get).orElse(null);
  }

  /** The processes a TCP peer may be: every registered plugin process and its descendants. */
  public Collection<Long> candidates() {
    List<Long> pids = new ArrayList<>();
    for (long pid : nameByPid.keySet()) {
      pids.add(pid);
      ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
    }
    return pids;
  }
}
