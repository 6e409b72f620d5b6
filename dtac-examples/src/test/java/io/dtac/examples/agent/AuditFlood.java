package io.dtac.examples.agent;

import io.dtac.broker.server.PluginBroker;
import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A child JVM for {@link AuditRotationIT}: the example agent's logging (small audit files) and a
 * real broker over an empty plugin directory; {@code CALLERS} threads make {@code CALLS} host calls
 * in all (each refused NOT_FOUND, each audited), then the broker and the logging close and it
 * exits 0. Arguments: DTAC_HOME/logs, CALLS, CALLERS.
 */
public final class AuditFlood {
  private AuditFlood() {}

  public static void main(String[] args) throws Exception {
    Path logs = Path.of(args[0]);
    int calls = Integer.parseInt(args[1]);
    int callers = Integer.parseInt(args[2]);
    AgentLogging logging = AgentLogging.start(logs, new LogSettings(
        LogSettings.MIN_FILE_BYTES, 1, LogSettings.MIN_FILE_BYTES, LogSettings.MAX_FILES_LIMIT, 200, 2_000));
    Path plugins = Files.createDirectories(logs.resolveSibling("no-plugins"));
    try (PluginBroker broker = PluginBroker.builder().pluginDirectory(plugins).build().start()) {
      AtomicInteger next = new AtomicInteger();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < callers; t++) {
        Thread thread = new Thread(() -> {
          while (next.getAndIncrement() < calls) {
            try {
              broker.call("Nobody", "hello", Action.READ, Request.builder().build());
            } catch (PluginCallException expected) {
              // NOT_FOUND: audited like any other call
            }
          }
        });
        thread.start();
        threads.add(thread);
      }
      for (Thread thread : threads) {
        thread.join();
      }
    }
    logging.close();
  }
}
