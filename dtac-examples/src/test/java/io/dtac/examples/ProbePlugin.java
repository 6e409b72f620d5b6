package io.dtac.examples;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.plugin.Action;
import io.dtac.plugin.BrokerClient;
import io.dtac.plugin.PluginBase;
import io.dtac.plugin.PluginCallException;
import io.dtac.plugin.PluginHost;
import io.dtac.plugin.Request;
import io.dtac.plugin.Response;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A test plugin that probes the broker's security from inside a real plugin process: it calls
 * other plugins with forged metadata or credentials, shows who called it, and (test-only) hands
 * out the secrets the agent gave it so that tests can try to abuse them. Named by its first
 * argument.
 */
public final class ProbePlugin extends PluginBase {
  private volatile String brokerAddress = "";

  ProbePlugin(String name) {
    super(name, name.toLowerCase());
    endpoint(Action.READ, "echo", "who called, and the metadata that arrived", this::echo);
    endpoint(Action.READ, "identity", "test only: the secrets the agent handed this process",
        request -> Response.json(identity()));
    endpoint(Action.CREATE, "call", "calls {target, method, action} through the broker, with"
        + " optional metadata and credential; answers {ok, value} or {ok, code, message}", this::call);
    endpoint(Action.CREATE, "list", "the plugins the broker lets this plugin see", this::list);
  }

  @Override
  public void initializeBrokerClient(String address) {
    brokerAddress = address == null ? "" : address;
    super.initializeBrokerClient(address);
  }

  private Response echo(Request request) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("caller", request.caller().orElse(null));
    body.put("metadata", request.metadata());
    return Response.json(body);
  }

  private static Map<String, String> identity() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("credential", io.dtac.plugin.internal.BrokerCredential.get());
    m.put("cert", System.getenv("DTAC_TLS_CERT"));
    m.put("key", System.getenv("DTAC_TLS_KEY"));
    m.put("ca", System.getenv("DTAC_TLS_CA"));
    return m;
  }

  private Response call(Request request) {
    JsonNode in = request.bodyJson();
    Request.Builder out = Request.builder();
    for (Map.Entry<String, JsonNode> e : in.path("metadata").properties()) {
      out.metadata(e.getKey(), e.getValue().asText());
    }
    String target = in.path("target").asText();
    String method = in.path("method").asText();
    Action action = Action.fromWireName(in.path("action").asText("read"));
    try {
      Response r;
      if (in.has("credential")) {
        try (BrokerClient other =
            BrokerClient.builder(brokerAddress).credential(in.get("credential").asText()).build()) {
          r = other.call(target, method, action, out.build());
        }
      } else {
        r = callPlugin(target, method, action, out.build());
      }
      return Response.json(Map.of("ok", true, "value", r.valueAsString()));
    } catch (PluginCallException e) {
      return failure(e);
    }
  }

  private Response list(Request request) {
    try {
      return Response.json(Map.of("ok", true, "plugins", listAvailablePlugins()));
    } catch (PluginCallException e) {
      return failure(e);
    }
  }

  private static Response failure(PluginCallException e) {
    return Response.json(
        Map.of("ok", false, "code", e.code().name(), "message", String.valueOf(e.getMessage())));
  }

  public static void main(String[] args) {
    PluginHost.serve(new ProbePlugin(args[0]));
  }
}
