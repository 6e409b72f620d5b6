package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dtac.broker.server.PluginBroker;
import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.examples.calculator.CalculatorPlugin;
import io.dtac.examples.hello.HelloPlugin;
import io.dtac.testing.PluginTestKit;
import io.dtac.testing.PluginUnderTest;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The test kit's in-process answers are the real broker's: the same calls, made to the example
 * plugins as processes behind a real PluginBroker and in process behind the kit's fake broker,
 * give the same values, codes and messages. It keeps the kit's copy of the broker's routing honest.
 */
class KitMatchesBrokerIT {
  @RegisterExtension static final PluginTestKit kit = new PluginTestKit();
  @TempDir static Path tmp;
  private static PluginBroker broker;
  private static PluginUnderTest hello;
  private static PluginUnderTest calculator;

  @BeforeAll
  static void start() throws Exception {
    broker = kit.startBroker(ExamplePlugins.copyTo(tmp, "hello.plugin", "calculator.plugin"));
    hello = kit.start(new HelloPlugin());
    calculator = kit.start(new CalculatorPlugin());
  }

  private static PluginUnderTest inProcess(String plugin) {
    return plugin.equals("HelloPlugin") ? hello : calculator;
  }

  private static void sameAnswer(String plugin, Action action, String path, Request request) throws Exception {
    assertEquals(broker.call(plugin, path, action, request).valueJson(),
        inProcess(plugin).call(action, path, request).valueJson());
  }

  private static void sameFailure(String plugin, Action action, String path, Request request) {
    PluginCallException real = assertThrows(PluginCallException.class, () -> broker.call(plugin, path, action, request));
    PluginCallException kits = assertThrows(PluginCallException.class, () -> inProcess(plugin).call(action, path, request));
    assertEquals(real.code(), kits.code(), real.getMessage());
    assertEquals(real.description(), kits.description());
  }

  private static Request op(String operation, Object a, Object b) {
    return Request.json(Map.of("operation", operation, "a", a, "b", b));
  }

  @Test
  void answersAreTheSame() throws Exception {
    sameAnswer("HelloPlugin", Action.READ, "hello", Request.empty());
    sameAnswer("CalculatorPlugin", Action.CREATE, "calculate", op("divide", 10, 4));
    sameAnswer("CalculatorPlugin", Action.CREATE, "calculate_via_hello", op("add", 5, 3));
  }

  @Test
  void endpointFailuresAreTheSame() {
    sameFailure("CalculatorPlugin", Action.CREATE, "calculate", op("divide", 1, 0));
    sameFailure("CalculatorPlugin", Action.CREATE, "calculate", op("pow", 1, 0));
    sameFailure("CalculatorPlugin", Action.CREATE, "calculate", Request.builder().body("{oops").build());
  }

  @Test
  void routingFailuresAreTheSame() {
    sameFailure("HelloPlugin", Action.WRITE, "hello", Request.empty());
    sameFailure("HelloPlugin", Action.READ, "", Request.empty());
    sameFailure("CalculatorPlugin", Action.READ, "calculate", Request.empty());
  }
}
