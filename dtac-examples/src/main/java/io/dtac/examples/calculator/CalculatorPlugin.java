package io.dtac.examples.calculator;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.core.Action;
import io.dtac.plugin.LogLevel;
import io.dtac.plugin.PluginBase;
import io.dtac.core.PluginCallException;
import io.dtac.core.PluginException;
import io.dtac.plugin.PluginHost;
import io.dtac.core.Request;
import io.dtac.core.Response;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Calculates, and shows plugin-to-plugin calls: {@code calculate_via_hello} first calls
 * HelloPlugin through the agent's broker (calculator -> agent -> hello), then calculates even if
 * that call failed.
 *
 * <p>Both endpoints take {@code {"operation":"add|subtract|multiply|divide","a":N,"b":N}}.
 * {@code calculate_words} takes {@code {"text":"...","operation":...,"b":N}} and asks
 * WordCountPlugin (the Python example) for the text's number of words, which is {@code a}.
 */
public final class CalculatorPlugin extends PluginBase {
  static final String CALLEE = "HelloPlugin";
  static final String WORD_COUNTER = "WordCountPlugin";

  public CalculatorPlugin() {
    super("CalculatorPlugin", "calculator");
    endpoint(
        Action.CREATE,
        "calculate",
        "Calculates a op b; answers {\"result\": N}",
        request -> Response.json(Map.of("result", calculate(request))));
    endpoint(
        Action.CREATE,
        "calculate_via_hello",
        "Calls HelloPlugin through the broker, then calculates; answers {\"result\": N,"
            + " \"callee_plugin\": \"HelloPlugin\"}",
        this::calculateViaHello);
    endpoint(
        Action.CREATE,
        "calculate_words",
        "Asks WordCountPlugin through the broker how many words \"text\" has, then calculates"
            + " words op b; answers {\"result\": N, \"words\": N, \"callee_plugin\": \"WordCountPlugin\"}",
        this::calculateWords);
  }

  /** Needs the word count, so a failed call fails the endpoint, with the callee's status. */
  private Response calculateWords(Request request) {
    JsonNode text = request.bodyJson().get("text");
    if (text == null || !text.isTextual()) {
      throw PluginException.invalidArgument("field 'text' must be a string");
    }
    Response counted;
    try {
      counted = callPlugin(WORD_COUNTER, "count", Action.CREATE, Request.json(Map.of("text", text.asText())));
    } catch (PluginCallException e) {
      throw new PluginException(e.code(), "WordCountPlugin failed: " + e.description(), e);
    }
    JsonNode words = counted.valueJson().get("words");
    Map<String, Object> calculation = new LinkedHashMap<>();
    calculation.put("operation", request.bodyJson().path("operation").asText(""));
    calculation.put("a", words);
    calculation.put("b", request.bodyJson().get("b"));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("result", calculate(Request.json(calculation)));
    body.put("words", words);
    body.put("callee_plugin", WORD_COUNTER);
    return Response.json(body);
  }

  private Response calculateViaHello(Request request) {
    BigDecimal result = calculate(request);
    try {
      Response hello = callPlugin(CALLEE, "hello", Action.READ, Request.empty());
      log(LogLevel.INFO, "hello plugin responded", Map.of("size", Integer.toString(hello.valueSize())));
    } catch (PluginCallException e) {
      log(LogLevel.WARNING, "hello plugin call failed", Map.of("error", e.getMessage()));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("result", result);
    body.put("callee_plugin", CALLEE);
    return Response.json(body);
  }

  /** Evaluates the request's operation; a bad request is an INVALID_ARGUMENT naming the problem. */
  static BigDecimal calculate(Request request) {
    JsonNode body = request.bodyJson();
    String operation = body.path("operation").asText("");
    BigDecimal a = number(body, "a");
    BigDecimal b = number(body, "b");
    switch (operation) {
      case "add":
        return a.add(b);
      case "subtract":
        return a.subtract(b);
      case "multiply":
        return a.multiply(b);
      case "divide":
        if (b.signum() == 0) {
          throw PluginException.invalidArgument("division by zero");
        }
        return a.divide(b, MathContext.DECIMAL64).stripTrailingZeros();
      default:
        throw PluginException.invalidArgument(
            "unknown operation '" + operation + "'; expected add, subtract, multiply or divide");
    }
  }

  private static BigDecimal number(JsonNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || !n.isNumber()) {
      throw PluginException.invalidArgument("field '" + field + "' must be a number");
    }
    return n.decimalValue();
  }

  public static void main(String[] args) {
    PluginHost.serve(new CalculatorPlugin());
  }
}
