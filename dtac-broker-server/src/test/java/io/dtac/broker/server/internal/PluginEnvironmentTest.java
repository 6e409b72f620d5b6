package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A plugin starts with an allow-listed environment: the agent's secrets stay with the agent. */
class PluginEnvironmentTest {
  private static final Map<String, String> AGENT = Map.of(
      "PATH", "/usr/bin", "LANG", "C.UTF-8", "LC_TIME", "C", "HOME", "/root",
      "DTAC_HOME", "/root/.dtac", "AWS_SECRET_ACCESS_KEY", "s3cr3t", "DTAC_BROKER_CREDENTIAL", "old",
      Protocol.ENV_TLS_KEY, "-----BEGIN PRIVATE KEY-----");

  @Test
  void theAgentsOtherVariablesAreNotInherited() {
    Map<String, String> env = PluginEnvironment.of(AGENT, Map.of(), null);
    assertFalse(env.containsKey("DTAC_HOME"), env.toString());
    assertFalse(env.containsKey("AWS_SECRET_ACCESS_KEY"), env.toString());
    assertFalse(env.containsKey("DTAC_BROKER_CREDENTIAL"), env.toString());
    assertFalse(env.containsKey(Protocol.ENV_TLS_KEY), env.toString());
    assertEquals("/usr/bin", env.get("PATH"));
    assertEquals("C", env.get("LC_TIME"));
  }

  @Test
  void theProtocolsVariablesAreSet() {
    Map<String, String> env = PluginEnvironment.of(AGENT, Map.of(Protocol.ENV_UNIX_SOCKET_DIR, "/tmp/dtac-1"), null);
    assertEquals("true", env.get(Protocol.ENV_PLUGINS));
    assertEquals("true", env.get(Protocol.ENV_WATCH_STDIN));
    assertEquals(Long.toString(ProcessHandle.current().pid()), env.get(Protocol.ENV_AGENT_PID));
    assertEquals("/tmp/dtac-1", env.get(Protocol.ENV_UNIX_SOCKET_DIR));
  }

  @Test
  void aPluginRunAsAnotherUserGetsThatUsersHome() {
    Map<String, String> env = PluginEnvironment.of(AGENT, Map.of(), new RunAs("nobody", 65534, 65534, "/nonexistent"));
    assertEquals("/nonexistent", env.get("HOME"));
    assertEquals("nobody", env.get("USER"));
    assertEquals("nobody", env.get("LOGNAME"));
  }
}
