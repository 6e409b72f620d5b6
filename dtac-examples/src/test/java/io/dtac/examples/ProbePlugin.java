package io.dtac.examples;

import io.dtac.core.Protocol;
import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.core.Action;
import io.dtac.plugin.BrokerClient;
import io.dtac.plugin.PluginBase;
import io.dtac.core.PluginCallException;
import io.dtac.plugin.PluginHost;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test plugin that probes the broker's security from inside a real plugin process: it calls
 * other plugins with forged metadata or credentials, shows who called it, and (test-only) hands
 * out the secrets the agent gave it so that tests can try to abuse them. Named by its first
 * argument. With {@link ProbeAttacks} it also attacks its siblings directly, outside the broker.
 */
public final class ProbePlugin extends PluginBase {
  private volatile String brokerAddress = "";
  private final AtomicInteger touches = new AtomicInteger();
  private volatile ProbeAttacks.FakeBroker fakeBroker;

  ProbePlugin(String name) {
    super(name, name.toLowerCase());
    endpoint(Action.READ, "echo", "who called, and the metadata that arrived", this::echo);
    endpoint(Action.READ, "identity", "test only: the secrets the agent handed this process",
        request -> Response.json(identity()));
    endpoint(Action.CREATE, "call", "calls {target, method, action} through the broker, with"
        + " optional metadata and credential; answers {ok, value} or {ok, code, message}", this::call);
    endpoint(Action.CREATE, "list", "the plugins the broker lets this plugin see", this::list);
    endpoint(Action.CREATE, "touch", "a side effect: counts the calls that reach it",
        request -> Response.json(Map.of("touches", touches.incrementAndGet())));
    endpoint(Action.READ, "touches", "how many calls reached touch",
        request -> Response.json(Map.of("touches", touches.get())));
    endpoint(Action.CREATE, "dial", "test only: calls {rpc: call|register, method, brokerAddress}"
        + " on the plugin server at {target} directly, with its own or the given {cert, key}",
        this::dial);
    endpoint(Action.CREATE, "fake-broker", "test only: serves a fake broker with its own"
        + " certificate; answers {address}", request -> fakeBroker());
    endpoint(Action.READ, "fake-broker-seen", "test only: {calls, credentials} the fake broker received",
        request -> fakeBrokerSeen());
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

  private Map<String, Object> identity() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("credential", io.dtac.plugin.internal.BrokerCredential.get());
    m.put("cert", System.getenv(Protocol.ENV_TLS_CERT));
    m.put("key", System.getenv(Protocol.ENV_TLS_KEY));
    m.put("ca", System.getenv(Protocol.ENV_TLS_CA));
    m.put("pid", ProcessHandle.current().pid());
    m.put("socketDir", System.getenv(Protocol.ENV_UNIX_SOCKET_DIR));
    m.put("brokerAddress", brokerAddress);
    return m;
  }

  private Response dial(Request request) {
    JsonNode in = request.bodyJson();
    try {
      return Response.json(
          ProbeAttacks.dial(
              in.path("target").asText(),
              in.path("cert").asText(System.getenv(Protocol.ENV_TLS_CERT)),
              in.path("key").asText(System.getenv(Protocol.ENV_TLS_KEY)),
              in.path("rpc").asText("call"),
              in.path("method").asText(),
              in.path("brokerAddress").asText("")));
    } catch (IOException e) {
      return Response.json(Map.of("ok", false, "code", "IO", "message", String.valueOf(e)));
    }
  }

  private synchronized Response fakeBroker() throws IOException {
    if (fakeBroker == null) {
      fakeBroker = new ProbeAttacks.FakeBroker(System.getenv(Protocol.ENV_TLS_CERT), System.getenv(Protocol.ENV_TLS_KEY));
    }
    return Response.json(Map.of("address", fakeBroker.address()));
  }

  private Response fakeBrokerSeen() {
    ProbeAttacks.FakeBroker f = fakeBroker;
    return Response.json(Map.of(
        "calls", f == null ? 0 : f.calls.get(), "credentials", f == null ? 0 : f.credentials.get()));
  }

  /**
   * The channel credentials of a {@code call} that presents the given {@code cert}/{@code key}
   * (e.g. a copy of another process's) instead of this process's own; null: the default.
   */
  private static ChannelCredentials presenting(JsonNode in) throws IOException {
    if (!in.has("cert")) {
      return null;
    }
    return TlsChannelCredentials.newBuilder()
        .keyManager(pem(in.get("cert").asText()), pem(in.get("key").asText()))
        .trustManager(pem(System.getenv(Protocol.ENV_TLS_CA)))
        .build();
  }

  private static ByteArrayInputStream pem(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.US_ASCII));
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
      if (in.has("credential") || in.has("cert") || in.has("broker")) {
        BrokerClient.Builder b = BrokerClient.builder(in.path("broker").asText(brokerAddress));
        if (in.has("credential")) {
          b.credential(in.get("credential").asText());
        }
        ChannelCredentials presenting = presenting(in);
        if (presenting != null) {
          b.channelCredentials(presenting);
        }
        try (BrokerClient other = b.build()) {
          r = other.call(target, method, action, out.build());
        }
      } else {
        r = callPlugin(target, method, action, out.build());
      }
      return Response.json(Map.of("ok", true, "value", r.valueAsString()));
    } catch (PluginCallException e) {
      return failure(e);
    } catch (IOException e) {
      return Response.json(Map.of("ok", false, "code", "IO", "message", String.valueOf(e)));
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
