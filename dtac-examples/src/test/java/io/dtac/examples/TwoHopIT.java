package io.dtac.examples;

import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.PluginCallException;
import io.dtac.core.StatusCode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.testing.PluginTestKit;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's promise end to end: a real broker over the real example plugin files, three OS
 * processes, and calculate_via_hello going calculator -> agent -> hello -> agent -> calculator.
 * The test kit starts the broker once every plugin is RUNNING, and after all tests closes it and
 * fails if a plugin process is still alive.
 */
class TwoHopIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  @RegisterExtension static final PluginTestKit kit = new PluginTestKit();
  @TempDir static Path tmp;
  private static PluginBroker broker;

  @BeforeAll
  static void start() throws Exception {
    broker = kit.startBroker(ExamplePlugins.copyTo(tmp, "hello.plugin", "calculator.plugin"));
  }

  private static Request json(String body) throws Exception {
    return Request.builder().body(body).build();
  }

  @Test
  void bothExamplePluginsAreRunningWithTheirEndpoints() throws Exception {
    List<PluginInfo> plugins = broker.plugins();
    assertEquals(
        List.of("CalculatorPlugin", "HelloPlugin"),
        plugins.stream().map(PluginInfo::name).sorted().collect(Collectors.toList()));
    plugins.forEach(p -> assertEquals(PluginState.RUNNING, p.state(), p.toString()));
    assertEquals(List.of("CalculatorPlugin", "HelloPlugin"),
        broker.plugins().stream().map(io.dtac.broker.server.PluginInfo::name).sorted().collect(Collectors.toList()));
    PluginInfo hello = broker.plugin("HelloPlugin").orElseThrow();
    assertEquals("hello", hello.rootPath());
    assertEquals("read", hello.endpoints().get(0).action().wireName());
    assertEquals("hello", hello.endpoints().get(0).path());
  }

  @Test
  void calculateViaHelloGoesThroughTheBrokerToHello() throws Exception {
    Response r =
        broker.call("CalculatorPlugin", "calculate_via_hello", Action.CREATE,
            json("{\"operation\":\"add\",\"a\":5,\"b\":3}"));
    JsonNode body = JSON.readTree(r.value());
    assertEquals(JSON.readTree("{\"result\":8,\"callee_plugin\":\"HelloPlugin\"}"), body);
  }

  @Test
  void helloAnswersItsMessage() throws Exception {
    Response r = broker.call("HelloPlugin", "hello", Action.READ, Request.empty());
    assertEquals("Hello from HelloPlugin", JSON.readTree(r.value()).get("message").asText());
  }

  @Test
  void calculatorErrorsAreClear() throws Exception {
    PluginCallException div =
        assertThrows(PluginCallException.class, () -> broker.call("CalculatorPlugin", "calculate",
            Action.CREATE, json("{\"operation\":\"divide\",\"a\":1,\"b\":0}")));
    assertEquals(StatusCode.INVALID_ARGUMENT, div.code());
    assertEquals("division by zero", div.description());
    PluginCallException op =
        assertThrows(PluginCallException.class, () -> broker.call("CalculatorPlugin", "calculate",
            Action.CREATE, json("{\"operation\":\"pow\",\"a\":1,\"b\":0}")));
    assertTrue(op.description().contains("unknown operation 'pow'"));
  }

  @Test
  void unknownPluginIsNotFoundAndListsTheLoadedOnes() throws Exception {
    PluginCallException e =
        assertThrows(PluginCallException.class,
            () -> broker.call("Hello", "hello", Action.READ, Request.empty()));
    assertEquals(StatusCode.NOT_FOUND, e.code());
    assertTrue(e.description().startsWith("plugin 'Hello' not found; loaded: "));
    assertTrue(e.description().contains("HelloPlugin"));
  }

  @Test
  void unknownMethodIsNotFound() throws Exception {
    PluginCallException e =
        assertThrows(PluginCallException.class,
            () -> broker.call("HelloPlugin", "goodbye", Action.READ, Request.empty()));
    assertEquals(StatusCode.NOT_FOUND, e.code());
    assertTrue(e.description().contains("no endpoint 'read:goodbye'"));
  }
}
