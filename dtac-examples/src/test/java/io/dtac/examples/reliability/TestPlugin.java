package io.dtac.examples.reliability;

import io.dtac.core.internal.Headers;
import io.dtac.core.Protocol;
import io.dtac.core.StatusCode;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.core.Action;
import io.dtac.plugin.BrokerClient;
import io.dtac.plugin.PluginBase;
import io.dtac.core.PluginCallException;
import io.dtac.core.PluginException;
import io.dtac.plugin.PluginHost;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.plugin.internal.TlsEnvironment;
import io.dtac.plugin.internal.UnixSockets;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plugin for reliability tests, run as a real process under any name (its first argument):
 *
 * <ul>
 *   <li>{@code read:echo?nonce=N}: answers the nonce, its caller and call chain, its pid;
 *   <li>{@code read:slow?ms=N}: waits N ms unless cancelled, and counts cancellations;
 *   <li>{@code read:stats}: started and cancelled slow calls, pid;
 *   <li>{@code read:deadline}: the remaining time of the incoming call's deadline;
 *   <li>{@code read:big?size=N}: a value of N bytes;
 *   <li>{@code create:relay}: calls along a path of plugins ({@code {"path":["B","C"],
 *       "method":"echo","action":"read"}}), optionally after {@code sleepMs}, with
 *       {@code timeoutMs}, {@code params} and {@code metadata}; "$TOKEN" in a param is replaced by
 *       this call's broker token;
 *   <li>{@code create:raw}: sends arbitrary bytes ({@code message}, base64) as
 *       AgentService/CallPlugin with its credential, optional {@code token} and
 *       {@code headerCount} extra headers, and answers the resulting status as JSON.
 * </ul>
 */
public final class TestPlugin extends PluginBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MethodDescriptor.Marshaller<byte[]> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream in) {
          try {
            return in.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };
  private static final MethodDescriptor<byte[], byte[]> CALL_PLUGIN =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("plugin.AgentService/CallPlugin")
          .setRequestMarshaller(RAW)
          .setResponseMarshaller(RAW)
          .build();

  private final AtomicInteger started = new AtomicInteger();
  private final AtomicInteger cancelled = new AtomicInteger();
  private volatile String brokerAddress;

  public TestPlugin(String name) {
    super(name, name.toLowerCase());
    endpoint(Action.READ, "echo", "echoes a nonce", this::echo);
    endpoint(Action.READ, "slow", "waits unless cancelled", this::slow);
    endpoint(Action.READ, "stats", "counts", r -> Response.json(stats()));
    endpoint(Action.READ, "deadline", "remaining deadline", this::deadline);
    endpoint(Action.READ, "big", "a big value", r -> Response.builder()
        .value(new byte[Integer.parseInt(r.parameter("size").orElse("0"))]).build());
    endpoint(Action.CREATE, "relay", "calls along a path", this::relay);
    endpointAsync(Action.CREATE, "relay-async", "calls along a path without blocking", this::relayAsync);
    endpoint(Action.CREATE, "raw", "sends raw bytes to the broker", this::raw);
  }

  @Override
  public void initializeBrokerClient(String address) {
    this.brokerAddress = address;
    super.initializeBrokerClient(address);
  }

  private Map<String, Object> stats() {
    return Map.of(
        "started", started.get(), "cancelled", cancelled.get(), "pid", ProcessHandle.current().pid());
  }

  private Response echo(Request r) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("nonce", r.parameter("nonce").orElse(""));
    body.put("plugin", name());
    body.put("caller", r.caller().orElse(""));
    body.put("chain", r.callChain());
    body.put("metadata", r.metadata());
    body.put("pid", ProcessHandle.current().pid());
    return Response.json(body);
  }

  /** Waits {@code ms} or until the call is cancelled; answers whether it was cancelled. */
  private static boolean sleepUnlessCancelled(long ms) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    Context.current().addListener(c -> done.countDown(), Runnable::run);
    return done.await(ms, TimeUnit.MILLISECONDS);
  }

  private Response slow(Request r) throws Exception {
    started.incrementAndGet();
    if (sleepUnlessCancelled(Long.parseLong(r.parameter("ms").orElse("60000")))) {
      cancelled.incrementAndGet();
      throw new PluginException(StatusCode.CANCELLED, "cancelled");
    }
    return Response.json(Map.of("slept", true));
  }

  private Response deadline(Request r) {
    io.grpc.Deadline d = Context.current().getDeadline();
    return Response.json(Map.of(
        "remainingMs", d == null ? -1 : d.timeRemaining(TimeUnit.MILLISECONDS),
        "chain", r.callChain()));
  }

  /** Like relay, with callPluginAsync and an asynchronous endpoint at every hop but the last. */
  private java.util.concurrent.CompletionStage<Response> relayAsync(Request r) {
    JsonNode body = r.bodyJson();
    List<String> path = new ArrayList<>();
    body.path("path").forEach(n -> path.add(n.asText()));
    if (path.isEmpty()) {
      throw PluginException.invalidArgument("relay-async needs a non-empty path");
    }
    Request next;
    String method;
    Action action;
    if (path.size() == 1) {
      method = body.path("method").asText("echo");
      action = Action.fromWireName(body.path("action").asText("read"));
      next = Request.empty();
    } else {
      method = "relay-async";
      action = Action.CREATE;
      Map<String, Object> rest = JSON.convertValue(body, new TypeReference<Map<String, Object>>() {});
      rest.put("path", path.subList(1, path.size()));
      next = Request.json(rest);
    }
    return callPluginAsync(path.get(0), method, action, next)
        .thenApply(response -> Response.builder().value(response.value()).build());
  }

  private Response relay(Request r) throws Exception {
    JsonNode body = r.bodyJson();
    List<String> path = new ArrayList<>();
    body.path("path").forEach(n -> path.add(n.asText()));
    if (path.isEmpty()) {
      throw PluginException.invalidArgument("relay needs a non-empty path");
    }
    long sleepMs = body.path("sleepMs").asLong(0);
    if (sleepMs > 0 && sleepUnlessCancelled(sleepMs)) {
      throw new PluginException(StatusCode.CANCELLED, "cancelled while sleeping");
    }
    String next = path.get(0);
    Request.Builder out = Request.builder();
    String method;
    Action action;
    if (path.size() == 1) {
      method = body.path("method").asText("echo");
      action = Action.fromWireName(body.path("action").asText("read"));
      for (Map.Entry<String, JsonNode> p : body.path("params").properties()) {
        String value = p.getValue().asText();
        out.parameter(p.getKey(), "$TOKEN".equals(value) ? r.metadata().getOrDefault(Protocol.CALL_TOKEN, "") : value);
      }
      if (body.has("finalBody")) {
        out.jsonBody(body.get("finalBody"));
      }
    } else {
      method = "relay";
      action = Action.CREATE;
      Map<String, Object> rest = JSON.convertValue(body, new TypeReference<Map<String, Object>>() {});
      rest.put("path", path.subList(1, path.size()));
      rest.remove("sleepMs");
      rest.remove("timeoutMs");
      out.jsonBody(rest);
    }
    body.path("metadata").properties().forEach(e -> out.metadata(e.getKey(), e.getValue().asText()));
    long timeoutMs = body.path("timeoutMs").asLong(0);
    Response response =
        timeoutMs > 0
            ? callPlugin(next, method, action, out.build(), Duration.ofMillis(timeoutMs))
            : callPlugin(next, method, action, out.build());
    return Response.builder().value(response.value()).build();
  }

  private Response raw(Request r) throws PluginCallException {
    JsonNode body = r.bodyJson();
    byte[] message = Base64.getDecoder().decode(body.path("message").asText(r.parameter("message").orElse("")));
    if (body.has("bodySize")) {
      try {
        PluginCallRequest parsed = PluginCallRequest.parseFrom(message);
        message = parsed.toBuilder()
            .setRequest(parsed.getRequest().toBuilder()
                .setBody(ByteString.copyFrom(new byte[body.get("bodySize").asInt()])))
            .build()
            .toByteArray();
      } catch (InvalidProtocolBufferException e) {
        throw PluginException.invalidArgument("message is not a PluginCallRequest: " + e.getMessage());
      }
    }
    // No credential: the broker knows this process from the kernel.
    Metadata headers = new Metadata();
    String token = body.path("token").asText(r.parameter("token").orElse(""));
    if (!token.isEmpty()) {
      headers.put(Headers.CALL_TOKEN, token);
    }
    int extra = body.path("headerCount").asInt(0);
    for (int i = 0; i < extra; i++) {
      headers.put(Metadata.Key.of("x-h" + i, Metadata.ASCII_STRING_MARSHALLER), "v" + i);
    }
    // The same transport as the plugin's BrokerClient: TLS with its own certificate when the
    // agent gave it one.
    ManagedChannel channel =
        UnixSockets.channelBuilder(
                brokerAddress.startsWith(Protocol.UNIX_ADDRESS_PREFIX) ? brokerAddress : "dns:///" + brokerAddress,
                TlsEnvironment.channelCredentials(System.getenv()))
            .build();
    Map<String, Object> answer = new LinkedHashMap<>();
    try {
      ClientCalls.blockingUnaryCall(
          io.grpc.ClientInterceptors.intercept(
              channel, io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers)),
          CALL_PLUGIN,
          CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
          message);
      answer.put("code", "OK");
    } catch (StatusRuntimeException e) {
      answer.put("code", e.getStatus().getCode().name());
      answer.put("description", String.valueOf(e.getStatus().getDescription()));
      answer.put("cause", String.valueOf(e.getStatus().getCause()));
    } finally {
      channel.shutdownNow();
    }
    return Response.json(answer);
  }

  public static void main(String[] args) {
    PluginHost.serve(new TestPlugin(args[0]));
  }
}
