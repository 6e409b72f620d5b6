package io.dtac.examples;

import io.dtac.broker.server.PluginBroker;
import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.core.Response;
import java.nio.file.Path;

/**
 * A host application that adds neither Micrometer nor OpenTelemetry: starts a broker on the plugin
 * directory {@code args[0]}, makes one brokered call to HelloPlugin, prints its answer and stops.
 * References no class of either library, so that {@link WithoutObservabilityIT} can run it on a
 * classpath without them.
 */
public final class PlainHost {
  private PlainHost() {}

  public static void main(String[] args) throws Exception {
    try (PluginBroker broker = PluginBroker.builder().pluginDirectory(Path.of(args[0])).build().start()) {
      Response answer = broker.call("HelloPlugin", "hello", Action.READ, Request.empty());
      System.out.println("answer: " + answer.valueAsString());
    }
  }
}
