package io.dtac.examples;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A minimal agent for {@link AgentKillIT}: starts a broker over the plugin directory in its
 * first argument, prints "PLUGIN name state pid" for each plugin and "READY" on stdout, then
 * runs until it is killed.
 */
public final class AgentMain {
  private AgentMain() {}

  public static void main(String[] args) throws Exception {
    PluginBroker broker = PluginBroker.builder()
        .pluginDirectory(Path.of(args[0]))
        .handshakeTimeout(Duration.ofSeconds(30))
        .build()
        .start();
    for (PluginInfo p : broker.plugins()) {
      System.out.println("PLUGIN " + p.name() + " " + p.state() + " " + p.pid().orElse(-1));
    }
    System.out.println("READY");
    System.out.flush();
    Thread.currentThread().join();
  }
}
