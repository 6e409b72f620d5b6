package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's promise end to end: a real broker over the real example plugin files, three OS
 * processes, and calculate_via_hello going calculator -> agent -> hello -> agent -> calculator.
 */
class TwoHopIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static PluginBroker broker;
  private static List<Long> pids;

  @BeforeAll
  static void start() throws Exception {
    broker = PluginBroker.builder().pluginDirectory(ExamplePlugins.dir()).build().start();
    pids = broker.plugins().stream().map(p -> p.pid().orElse(-1)).collect(Collectors.toList());
  }

  @AfterAll
  static void stop() {
    broker.close();
    for (long pid : pids) {
      assertFalse(
          ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
          "plugin process " + pid + " is still alive after close()");
    }
  }

  private static EndpointRequest json(String body) {
    return EndpointRequest.newBuilder().setBody(ByteString.copyFromUtf8(body)).build();
  }

  @Test
  void bothExamplePluginsAreRunningWithTheirEndpoints() {
    List<PluginInfo> plugins = broker.plugins();
    assertEquals(
        List.of("CalculatorPlugin", "HelloPlugin"),
        plugins.stream().map(PluginInfo::name).sorted().collect(Collectors.toList()));
    plugins.forEach(p -> assertEquals(PluginState.RUNNING, p.state(), p.toString()));
    assertEquals(List.of("CalculatorPlugin", "HelloPlugin"),
        broker.listPlugins().getPluginsList().stream().sorted().collect(Collectors.toList()));
    PluginInfo hello = broker.plugin("HelloPlugin").orElseThrow();
    assertEquals("hello", hello.rootPath());
    assertEquals("read", hello.endpoints().get(0).getAction());
    assertEquals("hello", hello.endpoints().get(0).getPath());
  }

  @Test
  void calculateViaHelloGoesThroughTheBrokerToHello() throws Exception {
    EndpointResponse r =
        broker.call("CalculatorPlugin", "calculate_via_hello", "create",
            json("{\"operation\":\"add\",\"a\":5,\"b\":3}"));
    JsonNode body = JSON.readTree(r.getValue().toByteArray());
    assertEquals(JSON.readTree("{\"result\":8,\"callee_plugin\":\"HelloPlugin\"}"), body);
  }

  @Test
  void helloAnswersItsMessage() throws Exception {
    EndpointResponse r = broker.call("HelloPlugin", "hello", "read", EndpointRequest.getDefaultInstance());
    assertEquals("Hello from HelloPlugin", JSON.readTree(r.getValue().toByteArray()).get("message").asText());
  }

  @Test
  void calculatorErrorsAreClear() {
    StatusRuntimeException div =
        assertThrows(StatusRuntimeException.class, () -> broker.call("CalculatorPlugin", "calculate",
            "create", json("{\"operation\":\"divide\",\"a\":1,\"b\":0}")));
    assertEquals(Status.Code.INVALID_ARGUMENT, div.getStatus().getCode());
    assertEquals("division by zero", div.getStatus().getDescription());
    StatusRuntimeException op =
        assertThrows(StatusRuntimeException.class, () -> broker.call("CalculatorPlugin", "calculate",
            "create", json("{\"operation\":\"pow\",\"a\":1,\"b\":0}")));
    assertTrue(op.getStatus().getDescription().contains("unknown operation 'pow'"));
  }

  @Test
  void unknownPluginIsNotFoundAndListsTheLoadedOnes() {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class,
            () -> broker.call("Hello", "hello", "read", EndpointRequest.getDefaultInstance()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith("plugin 'Hello' not found; loaded: "));
    assertTrue(e.getStatus().getDescription().contains("HelloPlugin"));
  }

  @Test
  void unknownMethodIsNotFound() {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class,
            () -> broker.call("HelloPlugin", "goodbye", "read", EndpointRequest.getDefaultInstance()));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("no endpoint 'read:goodbye'"));
  }
}
