package com.example.greeter;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.PluginException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.plugin.LogLevel;
import io.dtac.plugin.PluginBase;
import io.dtac.plugin.PluginHost;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Greets people by their title, which it asks DirectoryPlugin for through the agent's broker
 * (greeter -> agent -> directory). {@code greet} still greets when the directory cannot answer;
 * {@code greet_async} does not block a thread and passes the directory's failure on.
 */
public final class GreeterPlugin extends PluginBase {
  static final String DIRECTORY = "DirectoryPlugin";

  public GreeterPlugin() {
    super("GreeterPlugin", "greeter");
    endpoint(Action.READ, "greet", "Greets ?name= by title; answers {\"greeting\": ..., ...}", this::greet);
    endpointAsync(Action.READ, "greet_async", "Like greet, answering when the directory has", this::greetAsync);
  }

  private Response greet(Request request) {
    String name = name(request);
    try {
      return greeting(name, callPlugin(DIRECTORY, "title", Action.READ, titleOf(name)));
    } catch (PluginCallException e) {
      log(LogLevel.WARNING, "directory call failed", Map.of("error", e.getMessage()));
      return Response.json(Map.of("greeting", "Hello, " + name));
    }
  }

  private CompletionStage<Response> greetAsync(Request request) {
    String name = name(request);
    return callPluginAsync(DIRECTORY, "title", Action.READ, titleOf(name))
        .thenApply(title -> greeting(name, title));
  }

  private static String name(Request request) {
    return request.parameter("name").orElseThrow(() -> PluginException.invalidArgument("name is missing: add ?name="));
  }

  private static Request titleOf(String name) {
    return Request.builder().parameter("name", name).build();
  }

  private static Response greeting(String name, Response title) {
    JsonNode directory = title.valueJson();
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("greeting", "Hello, " + directory.path("title").asText() + " " + name);
    answer.put("directory_saw_caller", directory.path("asked_by").asText());
    answer.put("directory_saw_chain", directory.path("call_chain"));
    return Response.json(answer);
  }

  public static void main(String[] args) {
    PluginHost.serve(new GreeterPlugin());
  }
}
