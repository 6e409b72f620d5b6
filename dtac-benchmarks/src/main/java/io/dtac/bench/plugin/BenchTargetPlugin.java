package io.dtac.bench.plugin;

import io.dtac.core.Action;
import io.dtac.plugin.Endpoint;
import io.dtac.plugin.PluginBase;
import io.dtac.plugin.PluginHost;
import io.dtac.core.Response;
import java.io.IOException;
import java.util.Map;

/**
 * The callee of every benchmark scenario: {@code read:echo} answers the request body as its value.
 * Besides the plugin host's own server (which the agent reaches it on), it serves the same
 * endpoints on two direct servers for the one-hop scenarios, and {@code read:addresses} tells
 * where: {@code {"default": "127.0.0.1:PORT", "tuned": "..."}}.
 */
public final class BenchTargetPlugin extends PluginBase {
  public static final String NAME = "BenchTarget";
  public static final String ECHO = "echo";

  private volatile DirectServers direct;

  public BenchTargetPlugin() {
    super(NAME, "bench-target");
    endpoint(
        Endpoint.builder(Action.READ, ECHO)
            .description("answers the request body")
            .nonBlocking()
            .handler(r -> Response.builder().value(r.body()).build())
            .build());
    endpoint(
        Action.READ,
        "addresses",
        "where the direct one-hop servers listen",
        r -> Response.json(Map.of("default", direct.defaultAddress(), "tuned", direct.tunedAddress())));
    endpoint(Action.READ, "cpu", "the CPU time this process has used, ns", r -> Response.json(Map.of("cpu_ns", ProcessCpu.nanos())));
  }

  public static void main(String[] args) throws IOException {
    BenchTargetPlugin plugin = new BenchTargetPlugin();
    DirectServers servers = DirectServers.start(new DirectPluginService(plugin));
    plugin.direct = servers;
    Runtime.getRuntime().addShutdownHook(new Thread(servers::close, "bench-direct-stop"));
    PluginHost.serve(plugin);
  }
}
