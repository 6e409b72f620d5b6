package io.dtac.bench.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.core.Action;
import io.dtac.plugin.PluginBase;
import io.dtac.core.PluginException;
import io.dtac.plugin.PluginHost;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The caller of every benchmark scenario. The driver triggers {@code create:run} (through the
 * agent), and the measured loop runs here, in this plugin process, against the target: directly
 * (the target's address is in the request) or through the agent's broker. So every measured call
 * really is plugin process -> (agent ->) plugin process.
 *
 * <p>Run request (JSON): {@code {"route": "direct-default" | "direct-tuned" | "broker" |
 * "floor-raw-uds", "address": "127.0.0.1:PORT" | "unix:PATH", "payload_bytes": 64, "in_flight": 1,
 * "warmup_ms": 300, "measure_ms": 1500}}. Answer: {@code {"count", "errors", "first_error",
 * "window_ns", "all_calls", "cpu_ns", "histogram"}}: the histogram of nanosecond latencies in
 * HdrHistogram's compressed encoding, base64, and the CPU time this process spent on the whole
 * run (warm-up included, like {@code all_calls}).
 */
public final class BenchCallerPlugin extends PluginBase {
  public static final String NAME = "BenchCaller";
  public static final String RUN = "run";

  /** One long-lived channel per direct target, as an application would keep. */
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
  /** One pool of raw connections per floor echo server ({@link RawUdsEcho}). */
  private final Map<String, RawUdsClient> floors = new ConcurrentHashMap<>();

  public BenchCallerPlugin() {
    super(NAME, "bench-caller");
    endpoint(Action.CREATE, RUN, "runs one measured load against the target", this::run);
  }

  private Response run(Request request) throws Exception {
    JsonNode spec = request.bodyJson();
    String route = spec.path("route").asText();
    int payloadBytes = spec.path("payload_bytes").asInt(64);
    int inFlight = spec.path("in_flight").asInt(1);
    Request payload = Request.builder().body(new byte[payloadBytes]).build();
    LoadLoop.Call call;
    switch (route) {
      case "broker":
        call = () -> expectSize(
            callPlugin(BenchTargetPlugin.NAME, BenchTargetPlugin.ECHO, Action.READ, payload), payloadBytes);
        break;
      case "direct-default":
      case "direct-tuned":
        String address = spec.path("address").asText();
        ManagedChannel channel = channels.computeIfAbsent(route + "|" + address, k -> dial(route, address));
        PluginServiceGrpc.PluginServiceBlockingStub stub = PluginServiceGrpc.newBlockingStub(channel);
        String key = Action.READ.methodKey(BenchTargetPlugin.ECHO);
        call = () -> expectSize(
            Wire.fromProto(stub.call(Wire.toMessage(key, payload)).getResponse()), payloadBytes);
        break;
      case "floor-raw-uds":
        String socket = spec.path("address").asText().substring(io.dtac.core.Protocol.UNIX_ADDRESS_PREFIX.length());
        RawUdsClient floor = floors.computeIfAbsent(socket, RawUdsClient::new);
        call = () -> floor.roundTrip(payloadBytes);
        break;
      default:
        throw new IllegalArgumentException(
            "unknown route '" + route + "'; expected broker, direct-default, direct-tuned, floor-raw-uds");
    }
    long cpuBefore = ProcessCpu.nanos();
    LoadLoop.Result r =
        LoadLoop.run(call, inFlight, spec.path("warmup_ms").asLong(300), spec.path("measure_ms").asLong(1500));
    long cpu = ProcessCpu.nanos() - cpuBefore;
    ByteBuffer encoded = ByteBuffer.allocate(r.histogram().getNeededByteBufferCapacity());
    int length = r.histogram().encodeIntoCompressedByteBuffer(encoded);
    return Response.json(
        Map.of(
            "count", r.histogram().getTotalCount(),
            "errors", r.errors(),
            "first_error", r.firstError() == null ? "" : r.firstError(),
            "window_ns", r.windowNanos(),
            "all_calls", r.allCalls(),
            "cpu_ns", cpu,
            "histogram", Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(encoded.array(), length))));
  }

  private static ManagedChannel dial(String route, String address) {
    if (route.equals("direct-tuned")) {
      return TunedTransport.dial(address);
    }
    // grpc-java as a plugin author would use it without tuning anything.
    return Grpc.newChannelBuilder(address, InsecureChannelCredentials.create()).build();
  }

  private static void expectSize(Response r, int size) throws PluginException {
    if (r.valueSize() != size) {
      throw new PluginException(
          io.dtac.core.StatusCode.DATA_LOSS, "echo answered " + r.valueSize() + " bytes, expected " + size);
    }
  }

  public static void main(String[] args) {
    PluginHost.serve(new BenchCallerPlugin());
  }
}
