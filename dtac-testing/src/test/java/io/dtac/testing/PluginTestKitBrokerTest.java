package io.dtac.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginBrokerBuilder;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.core.Action;
import io.dtac.core.Request;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The integration mode: a real PluginBroker over real plugin files, and no process left after it. */
class PluginTestKitBrokerTest {
  @TempDir Path dir;

  /** A plugin file that runs {@link TestPlugins.Main} on this test's classpath. */
  private Path echoPlugin(String name) throws IOException {
    String jvm = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return script(name.toLowerCase(java.util.Locale.ROOT) + ".plugin",
        "exec '" + jvm + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -cp '"
            + System.getProperty("java.class.path") + "' '" + TestPlugins.Main.class.getName() + "' " + name);
  }

  private Path script(String file, String body) throws IOException {
    Path p = dir.resolve(file);
    Files.writeString(p, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return p;
  }

  private static List<Long> pids(PluginBroker broker) {
    return broker.plugins().stream().map(p -> p.pid().orElse(-1)).collect(Collectors.toList());
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  @Test
  void startBrokerRunsThePluginFilesForHostCallsAndTheKitEndsEveryProcess() throws Exception {
    echoPlugin("EchoPlugin");
    List<Long> pids;
    try (PluginTestKit kit = new PluginTestKit()) {
      PluginBroker broker = kit.startBroker(dir);
      assertEquals(List.of(PluginState.RUNNING), broker.plugins().stream().map(PluginInfo::state).collect(Collectors.toList()));
      assertEquals("agent", broker.call("EchoPlugin", "echo", Action.READ, Request.empty())
          .valueJson().get("caller").asText());
      pids = pids(broker);
      assertTrue(alive(pids.get(0)));
    }
    pids.forEach(pid -> assertFalse(alive(pid), "plugin process " + pid + " outlived the kit"));
  }

  @Test
  void aPluginThatDoesNotReachRunningFailsTheStartAndLeavesNoProcess() throws Exception {
    script("broken.plugin", "echo 'no handshake' >&2; exit 3");
    try (PluginTestKit kit = new PluginTestKit()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> kit.startBroker(dir));
      assertTrue(e.getMessage().startsWith("plugins did not reach RUNNING: broken"), e.getMessage());
      assertTrue(e.getMessage().contains("FAILED"), e.getMessage());
    }
  }

  @Test
  void aDirectoryWithoutPluginFilesIsRefused() throws Exception {
    try (PluginTestKit kit = new PluginTestKit()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kit.startBroker(dir));
      assertTrue(e.getMessage().contains("no *.plugin file in"), e.getMessage());
      assertThrows(NullPointerException.class, () -> kit.startBroker((Path) null));
      assertThrows(NullPointerException.class, () -> kit.startBroker((PluginBrokerBuilder) null));
    }
  }

  @Test
  void manageClosesABrokerTheTestStartedAndChecksItsProcesses() throws Exception {
    echoPlugin("EchoPlugin");
    List<Long> pids;
    PluginBroker broker = PluginBroker.builder().pluginDirectory(dir).build().start();
    try (PluginTestKit kit = new PluginTestKit()) {
      assertSame(broker, kit.manage(broker));
      pids = pids(broker);
    }
    assertEquals(PluginState.STOPPED, broker.plugins().get(0).state());
    pids.forEach(pid -> assertFalse(alive(pid), "plugin process " + pid + " outlived the kit"));
  }

  @Test
  void aProcessThatOutlivesItsBrokerFailsTheCloseAndIsKilled() throws Exception {
    Process stray = new ProcessBuilder("sleep", "60").start();
    ManagedBroker managed = new ManagedBroker(100);
    managed.attach(PluginBroker.builder().build().start());
    managed.onStateChange(
        new PluginInfo("Stray", "stray", PluginState.RUNNING, List.of(), null, stray.pid(), null), null);
    AssertionError e = assertThrows(AssertionError.class, managed::close);
    assertTrue(e.getMessage().contains(stray.pid() + " (Stray)"), e.getMessage());
    assertTrue(stray.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "the kit killed it");
    managed.close();
  }
}
