package io.dtac.examples.hello;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.core.Action;
import io.dtac.plugin.LogLevel;
import io.dtac.plugin.PluginBase;
import io.dtac.plugin.PluginHost;
import io.dtac.core.Response;
import java.util.Map;

/**
 * The simplest plugin: {@code GET /plugins/hello/hello} answers {@code {"message": "..."}}. The
 * message comes from the plugin configuration's {@code message} field.
 */
public final class HelloPlugin extends PluginBase {
  static final String DEFAULT_MESSAGE = "Hello from HelloPlugin";

  private volatile String message = DEFAULT_MESSAGE;

  public HelloPlugin() {
    super("HelloPlugin", "hello");
    endpoint(
        Action.READ,
        "hello",
        "Answers {\"message\": ...} with the configured greeting",
        request -> Response.json(Map.of("message", message)));
  }

  @Override
  protected void onRegister(JsonNode config) {
    JsonNode configured = config.path("message");
    if (configured.isTextual()) {
      message = configured.asText();
    }
    log(LogLevel.INFO, "hello plugin registered", Map.of("message", message));
  }

  public static void main(String[] args) {
    PluginHost.serve(new HelloPlugin());
  }
}
