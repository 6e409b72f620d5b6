package io.dtac.examples.calculator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.StatusCode;
import io.dtac.examples.hello.HelloPlugin;
import io.dtac.plugin.LogLevel;
import io.dtac.testing.PluginLogRecord;
import io.dtac.testing.PluginTestKit;
import io.dtac.testing.PluginUnderTest;
import io.dtac.testing.RecordedCall;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** CalculatorPlugin in process, HelloPlugin stubbed (or started in process), with the test kit. */
class CalculatorPluginTest {
  @RegisterExtension final PluginTestKit kit = new PluginTestKit();
  private PluginUnderTest calculator;

  @BeforeEach
  void start() {
    calculator = kit.start(new CalculatorPlugin());
  }

  private static Request op(String operation, Object a, Object b) {
    return Request.json(Map.of("operation", operation, "a", a, "b", b));
  }

  @Test
  void calculateAnswersTheResult() throws Exception {
    assertEquals(8, calculator.call(Action.CREATE, "calculate", op("add", 5, 3)).valueJson().get("result").asInt());
    assertEquals("2.5", calculator.call(Action.CREATE, "calculate", op("divide", 5, 2)).valueJson().get("result").asText());
    assertEquals(List.of(), kit.broker().calls(), "calculate calls no other plugin");
  }

  @Test
  void badRequestsAreInvalidArgumentsNamingTheProblem() {
    PluginCallException zero = assertThrows(PluginCallException.class,
        () -> calculator.call(Action.CREATE, "calculate", op("divide", 1, 0)));
    assertEquals(StatusCode.INVALID_ARGUMENT, zero.code());
    assertEquals("division by zero", zero.description());
    PluginCallException pow = assertThrows(PluginCallException.class,
        () -> calculator.call(Action.CREATE, "calculate", op("pow", 1, 0)));
    assertTrue(pow.description().startsWith("unknown operation 'pow'"), pow.description());
    PluginCallException text = assertThrows(PluginCallException.class,
        () -> calculator.call(Action.CREATE, "calculate", op("add", "five", 3)));
    assertEquals("field 'a' must be a number", text.description());
  }

  @Test
  void calculateViaHelloCallsHelloThroughTheBrokerThenAnswers() throws Exception {
    kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.json(Map.of("message", "hi")));
    Response r = calculator.call(Action.CREATE, "calculate_via_hello", op("add", 5, 3));
    JsonNode v = r.valueJson();
    assertEquals(8, v.get("result").asInt());
    assertEquals("HelloPlugin", v.get("callee_plugin").asText());
    RecordedCall call = kit.broker().calls().get(0);
    assertEquals("CalculatorPlugin", call.caller());
    assertEquals("HelloPlugin", call.plugin());
    assertEquals(Action.READ, call.action());
    assertEquals("hello", call.path());
    assertEquals(List.of("agent", "CalculatorPlugin", "HelloPlugin"), call.callChain());
    assertTrue(calculator.logs().contains(
        new PluginLogRecord(LogLevel.INFO, "hello plugin responded", Map.of("size", "16"))), calculator.logs().toString());
  }

  @Test
  void calculateViaHelloDegradesWhenHelloIsUnavailable() throws Exception {
    kit.broker().stub("HelloPlugin", Action.READ, "hello").fail(StatusCode.UNAVAILABLE, "down");
    JsonNode v = calculator.call(Action.CREATE, "calculate_via_hello", op("multiply", 4, 3)).valueJson();
    assertEquals(12, v.get("result").asInt());
    assertEquals("HelloPlugin", v.get("callee_plugin").asText());
    assertTrue(calculator.logs().contains(
        new PluginLogRecord(LogLevel.WARNING, "hello plugin call failed", Map.of("error", "UNAVAILABLE: down"))),
        calculator.logs().toString());
  }

  @Test
  void calculateViaHelloDegradesWhenNoHelloIsLoaded() throws Exception {
    assertEquals(8, calculator.call(Action.CREATE, "calculate_via_hello", op("add", 5, 3)).valueJson().get("result").asInt());
    assertTrue(calculator.logs().stream().anyMatch(l -> l.level() == LogLevel.WARNING
        && l.fields().get("error").equals("NOT_FOUND: plugin 'HelloPlugin' not found; loaded: CalculatorPlugin")),
        calculator.logs().toString());
  }

  @Test
  void calculateViaHelloReachesTheRealHelloPluginInProcess() throws Exception {
    PluginUnderTest hello = kit.start(new HelloPlugin());
    calculator.call(Action.CREATE, "calculate_via_hello", op("add", 5, 3));
    assertTrue(calculator.logs().stream().anyMatch(l -> l.message().equals("hello plugin responded")),
        calculator.logs().toString());
    assertEquals("hello", kit.broker().calls().get(0).path());
    assertEquals(HelloPlugin.class, hello.plugin().getClass());
  }
}
