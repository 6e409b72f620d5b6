package com.example.directory;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.core.Action;
import io.dtac.core.PluginException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.plugin.PluginBase;
import io.dtac.plugin.PluginHost;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Knows people's titles, from its configuration ({@code {"titles": {"Ada": "Countess"}}}), and
 * says who asked: the caller and the call chain as the broker reports them.
 */
public final class DirectoryPlugin extends PluginBase {
  private volatile JsonNode titles;

  public DirectoryPlugin() {
    super("DirectoryPlugin", "directory");
    endpoint(Action.READ, "title", "Answers {\"title\": ..., \"asked_by\": ..., \"call_chain\": [...]} for ?name=",
        this::title);
  }

  @Override
  protected void onRegister(JsonNode config) {
    titles = config.path("titles");
  }

  private Response title(Request request) {
    String name = request.parameter("name").orElseThrow(() -> PluginException.invalidArgument("name is missing"));
    JsonNode title = titles == null ? null : titles.get(name);
    if (title == null) {
      throw PluginException.notFound("no title for '" + name + "'");
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("title", title.asText());
    answer.put("asked_by", request.caller().orElse(""));
    answer.put("call_chain", request.callChain());
    return Response.json(answer);
  }

  public static void main(String[] args) {
    PluginHost.serve(new DirectoryPlugin());
  }
}
