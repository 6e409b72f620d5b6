package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * close() on one thread while start() loads several slow plugins on another, at different
 * moments: whatever it interrupts, no plugin process (nor a child of one), broker thread or
 * socket directory is left, and start() says it was closed.
 */
class CloseDuringStartIT {
  @TempDir Path tmp;

  /** When close() comes. */
  enum Moment {
    /** as soon as the broker listens, when the first plugins are about to be launched. */
    LISTENING,
    /** when a plugin process has been launched, none has registered. */
    WHILE_LAUNCHING,
    /** when one plugin is RUNNING and the others are still loading. */
    WHILE_SOME_RUN
  }

  @ParameterizedTest
  @EnumSource(Moment.class)
  void closeDuringStartLeavesNothingBehind(Moment moment) throws Exception {
    Path sockets = tmp.resolve("sockets");
    Leftovers before = Leftovers.before(sockets);
    Path plugins = Files.createDirectories(tmp.resolve("plugins"));
    // Slow plugins with a child each: JVMs that start after a pause, and one that never
    // answers the handshake and ignores SIGTERM.
    for (String name : new String[] {"Alpha", "Beta", "Gamma"}) {
      ExamplePlugins.script(plugins, name.toLowerCase() + ".plugin", String.join("\n",
          "sleep 600 &",
          "sleep 1",
          "exec " + Fixtures.javaCommand(io.dtac.examples.reliability.TestPlugin.class.getName(), name)));
    }
    ExamplePlugins.script(plugins, "mute.plugin", "trap '' TERM\nsleep 600 &\nwhile :; do sleep 1; done");
    CountDownLatch running = new CountDownLatch(1);
    PluginBroker broker = PluginBroker.builder()
        .pluginDirectory(plugins)
        .socketDirectory(sockets)
        .handshakeTimeout(Duration.ofSeconds(60))
        .stopTimeout(Duration.ofSeconds(1))
        .listener((plugin, from) -> {
          if (plugin.state() == PluginState.RUNNING) {
            running.countDown();
          }
        })
        .build();

    CompletableFuture<PluginBroker> started = CompletableFuture.supplyAsync(() -> {
      try {
        return broker.start();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    switch (moment) {
      case LISTENING -> Awaitility.await("the broker listens").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(1))
          .ignoreExceptions()
          .until(() -> broker.brokerAddress() != null);
      case WHILE_LAUNCHING -> Awaitility.await("a plugin process runs").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(10))
          .until(() -> ProcessHandle.current().descendants()
              .anyMatch(h -> h.info().commandLine().orElse("").contains("sleep 600")));
      case WHILE_SOME_RUN -> assertTrue(running.await(60, TimeUnit.SECONDS), "no plugin reached RUNNING");
    }
    broker.close();

    ExecutionException e = assertThrows(ExecutionException.class, () -> started.get(60, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof IllegalStateException, e.getCause().toString());
    assertEquals("close() was called while start() ran: the broker is closed", e.getCause().getMessage());
    for (var p : broker.plugins()) {
      assertTrue(p.state() == PluginState.STOPPED || p.state() == PluginState.FAILED, p.toString());
    }
    before.assertNothingLeft();
  }
}
