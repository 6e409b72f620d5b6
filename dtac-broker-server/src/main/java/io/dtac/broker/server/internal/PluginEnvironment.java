package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The environment a plugin process starts with: an allow-list of the agent's variables that
 * programs need to run (PATH, locale, time zone, home, temporary directory, JAVA_HOME), the
 * variables the builder adds for every plugin, {@value Protocol#ENV_PLUGIN_JAVA_OPTS} (the example plugin
 * scripts' JVM options), and the protocol's own. Nothing else of the
 * agent's environment reaches a plugin: no secret, no {@code DTAC_HOME}, no other plugin's
 * material, and (on Linux) no broker credential either, since the kernel says who calls.
 */
public final class PluginEnvironment {
  /** The agent's variables a plugin inherits. */
  public static final Set<String> INHERITED =
      Set.of("PATH", "LANG", "LANGUAGE", "TZ", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR", "JAVA_HOME", "TERM",
          Protocol.ENV_PLUGIN_JAVA_OPTS);

  private PluginEnvironment() {}

  /**
   * The environment of one plugin process.
   *
   * @param agent the agent's own environment (System.getenv())
   * @param extra the builder's and the launch's variables (socket directory, TLS material...)
   * @param account the OS user it runs as, or null for the agent's: HOME, USER and LOGNAME are then the user's
   */
  public static Map<String, String> of(Map<String, String> agent, Map<String, String> extra, RunAs account) {
    Map<String, String> env = new LinkedHashMap<>();
    agent.forEach((k, v) -> {
      if (INHERITED.contains(k) || k.startsWith("LC_")) {
        env.put(k, v);
      }
    });
    if (account != null) {
      env.put("HOME", account.home());
      env.put("USER", account.name());
      env.put("LOGNAME", account.name());
    }
    env.putAll(extra);
    env.put(Protocol.ENV_PLUGINS, "true");
    env.put(Protocol.ENV_WATCH_STDIN, "true");
    env.put(Protocol.ENV_AGENT_PID, Long.toString(ProcessHandle.current().pid()));
    return env;
  }
}
