package io.dtac.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.PluginException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.StatusCode;
import io.dtac.plugin.Endpoint;
import io.dtac.plugin.LogLevel;
import io.dtac.plugin.PluginBase;
import io.dtac.plugin.PluginHost;
import io.grpc.Context;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** Plugins for the kit's own tests. */
final class TestPlugins {
  private TestPlugins() {}

  /** Echoes what it got, fails in every way an endpoint can, and calls other plugins. */
  static final class Echo extends PluginBase {
    volatile JsonNode config;
    final CountDownLatch cancelled = new CountDownLatch(1);
    final CountDownLatch waiting = new CountDownLatch(1);

    Echo() {
      this("EchoPlugin");
    }

    Echo(String name) {
      super(name, name.toLowerCase(java.util.Locale.ROOT));
      log(LogLevel.INFO, "constructed", Map.of("name", name));
      endpoint(Action.READ, "echo", "echoes", this::echo);
      endpoint(Endpoint.builder(Action.WRITE, "open").secure(false).handler(r -> Response.text("open")).build());
      endpoint(Endpoint.builder(Action.READ, "fast").nonBlocking().handler(r -> Response.text("fast")).build());
      endpoint(Action.CREATE, "denied", "PluginException", r -> {
        throw new PluginException(StatusCode.PERMISSION_DENIED, "no, you may not");
      });
      endpoint(Action.CREATE, "bad", "IllegalArgumentException", r -> {
        throw new IllegalArgumentException("field 'a' must be a number");
      });
      endpoint(Action.DELETE, "bug", "a bug", r -> {
        throw new IllegalStateException("bug");
      });
      endpoint(Action.READ, "wait", "waits for its cancellation", r -> {
        waiting.countDown();
        Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
        cancelled.await();
        return Response.text("cancelled");
      });
      endpoint(Action.CREATE, "forward", "calls what the body names", this::forward);
      endpoint(Action.READ, "list", "lists the plugins", r -> Response.json(listAvailablePlugins()));
    }

    private Response echo(Request r) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("body", r.bodyAsString());
      out.put("caller", r.caller().orElse(""));
      out.put("chain", r.callChain());
      out.put("metadata", r.metadata());
      out.put("deadline", Context.current().getDeadline() != null);
      return Response.json(out);
    }

    /** Body: {"plugin": ..., "path": ..., "action": ..., "body": ..., "timeoutMillis": N, "metadata": {...}}. */
    private Response forward(Request r) throws PluginCallException {
      JsonNode b = r.bodyJson();
      Request.Builder out = Request.builder().body(b.path("body").asText(""));
      b.path("metadata").properties().forEach(e -> out.metadata(e.getKey(), e.getValue().asText()));
      Action action = Action.fromWireName(b.path("action").asText("read"));
      Response answer = b.has("timeoutMillis")
          ? callPlugin(b.path("plugin").asText(), b.path("path").asText(), action, out.build(),
              Duration.ofMillis(b.path("timeoutMillis").asLong()))
          : callPlugin(b.path("plugin").asText(), b.path("path").asText(), action, out.build());
      return Response.builder().value(answer.value()).metadata("forwarded", "true").build();
    }

    @Override
    protected void onRegister(JsonNode config) {
      this.config = config;
      if (config.path("refuse").asBoolean()) {
        throw new IllegalStateException("refused by config");
      }
      log(LogLevel.WARNING, "registered", Map.of("broker", Boolean.toString(brokerAvailable())));
    }
  }

  /** Runs {@link Echo} as a real plugin process: {@code java ... TestPlugins\$Main NAME}. */
  static final class Main {
    private Main() {}

    public static void main(String[] args) {
      PluginHost.serve(new Echo(args.length > 0 ? args[0] : "EchoPlugin"));
    }
  }
}
