package io.dtac.bench;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * A minimal example agent, as its own process: a broker over the example plugins (hello and
 * calculator). Prints {@code READY} once both are registered and RUNNING (or {@code FAILED ...}),
 * then stops them and exits. {@link StartupMeasure} times it from process start.
 */
public final class StartupProbe {
  private StartupProbe() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: StartupProbe PLUGIN_DIR");
      System.exit(2);
    }
    QuietLogs.apply();
    int code = 0;
    // -Ddtac.bench.tls=false: the same agent with TLS off, to see what TLS costs at start-up.
    boolean tls = Boolean.parseBoolean(System.getProperty("dtac.bench.tls", "true"));
    try (PluginBroker broker = PluginBroker.builder().pluginDirectory(Path.of(args[0])).tls(tls).build()) {
      broker.start();
      boolean ready =
          broker.plugins().size() == 2
              && broker.plugins().stream().allMatch(p -> p.state() == PluginState.RUNNING);
      if (ready) {
        System.out.println("READY");
      } else {
        code = 1;
        System.out.println(
            "FAILED " + broker.plugins().stream().map(PluginInfo::toString).collect(Collectors.joining("; ")));
      }
      System.out.flush();
    }
    System.exit(code);
  }
}
