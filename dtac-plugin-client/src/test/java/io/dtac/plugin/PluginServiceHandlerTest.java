package io.dtac.plugin;

import io.dtac.core.Protocol;
import io.dtac.core.StatusCode;

import io.dtac.core.Action;
import io.dtac.core.Response;
import io.dtac.core.PluginException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.LogMessage;
import io.dtac.broker.api.LoggingArgs;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.api.RegisterRequest;
import io.dtac.broker.api.RegisterResponse;
import io.dtac.broker.api.StringList;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The plugin side of the protocol, in-process: register, dispatch, error mapping, logs. */
class PluginServiceHandlerTest {
  private TestPlugin plugin;
  private Server server;
  private ManagedChannel channel;
  private PluginServiceGrpc.PluginServiceBlockingStub stub;

  static final class TestPlugin extends PluginBase {
    volatile JsonNode config;
    final java.util.concurrent.CompletableFuture<Response> forever = new java.util.concurrent.CompletableFuture<>();

    TestPlugin() {
      super("TestPlugin", "test");
      endpoint(Action.READ, "echo", "echoes", req -> Response.builder()
          .value(req.body())
          .header("X-Param", req.parameter("p").orElse(""))
          .metadata("caller", req.caller().orElse("none"))
          .build());
      endpoint(Endpoint.builder(Action.CREATE, "secret").secure(true).authGroup("admin")
          .handler(req -> Response.text("s")).build());
      endpoint(Action.WRITE, "bad", "throws IllegalArgumentException", req -> {
        throw new IllegalArgumentException("field 'a' must be a number");
      });
      endpoint(Action.WRITE, "denied", "throws PluginException", req -> {
        throw new PluginException(StatusCode.PERMISSION_DENIED, "no");
      });
      endpointAsync(Action.READ, "later", "answers from another thread", req ->
          java.util.concurrent.CompletableFuture.supplyAsync(() -> Response.text("later: " + req.bodyAsString())));
      endpointAsync(Action.READ, "later-denied", "fails asynchronously", req ->
          java.util.concurrent.CompletableFuture.failedFuture(new PluginException(StatusCode.PERMISSION_DENIED, "not you")));
      endpointAsync(Action.READ, "forever", "never answers", req -> forever);
      endpoint(Action.DELETE, "boom", "throws a bug", req -> {
        throw new IllegalStateException("bug");
      });
    }

    @Override
    protected void onRegister(JsonNode config) {
      this.config = config;
      if (config.path("refuse").asBoolean()) {
        throw new IllegalStateException("refused by config");
      }
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    plugin = new TestPlugin();
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new PluginServiceHandler(plugin)).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = PluginServiceGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void tearDown() {
    plugin.shutdown();
    channel.shutdownNow();
    server.shutdownNow();
  }

  private EndpointRequestMessage call(String method, String body) {
    return EndpointRequestMessage.newBuilder().setMethod(method)
        .setRequest(EndpointRequest.newBuilder().setBody(ByteString.copyFromUtf8(body))
            .putParameters("p", StringList.newBuilder().addValues("v").build())
            .putMetadata(Protocol.CALLER_METADATA, "CalculatorPlugin"))
        .build();
  }

  @Test
  void registerHandsTheConfigToThePluginAndReturnsEveryEndpoint() {
    RegisterResponse r = stub.register(RegisterRequest.newBuilder()
        .setConfig("{\"message\":\"hi\"}").setDefaultSecure(false).build());
    assertEquals("hi", plugin.config.get("message").asText());
    assertEquals(8, r.getEndpointsCount());
    PluginEndpoint echo = r.getEndpoints(0);
    assertEquals("echo", echo.getPath());
    assertEquals("read", echo.getAction());
    assertFalse(echo.getSecure(), "unspecified secure follows default_secure");
    PluginEndpoint secret = r.getEndpoints(1);
    assertTrue(secret.getSecure());
    assertEquals("admin", secret.getAuthGroup());
    assertFalse(plugin.brokerAvailable(), "no broker address: no broker client");
  }

  @Test
  void registerWithABrokerAddressInitializesTheBrokerClient() {
    stub.register(RegisterRequest.newBuilder().setConfig("{}").setBrokerAddress("127.0.0.1:1").build());
    assertTrue(plugin.brokerAvailable());
  }

  @Test
  void asyncEndpointsAnswerWhenTheirStageCompletesAndFailWithItsStatus() {
    assertEquals("later: x", stub.call(call("read:later", "x")).getResponse().getValue().toStringUtf8());
    StatusRuntimeException denied = assertThrows(StatusRuntimeException.class, () -> stub.call(call("read:later-denied", "")));
    assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
    assertEquals("not you", denied.getStatus().getDescription());
  }

  @Test
  void aCancelledCallCancelsTheAsyncEndpointsFuture() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> stub.withDeadlineAfter(200, java.util.concurrent.TimeUnit.MILLISECONDS).call(call("read:forever", "")));
    assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(plugin.forever::isCancelled);
  }

  @Test
  void aSecondRegisterIsRefusedAndChangesNothing() {
    stub.register(RegisterRequest.newBuilder().setConfig("{\"message\":\"first\"}").build());
    StatusRuntimeException again = assertThrows(StatusRuntimeException.class,
        () -> stub.register(RegisterRequest.newBuilder()
            .setConfig("{\"message\":\"second\"}").setBrokerAddress("127.0.0.1:1").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, again.getStatus().getCode());
    assertTrue(again.getStatus().getDescription().contains("Register is accepted once per process"),
        again.getStatus().toString());
    assertEquals("first", plugin.config.get("message").asText());
    assertFalse(plugin.brokerAvailable(), "the broker address was not taken");
  }

  @Test
  void registerFailsClearlyOnBadConfig() {
    StatusRuntimeException notJson = assertThrows(StatusRuntimeException.class,
        () -> stub.register(RegisterRequest.newBuilder().setConfig("{oops").build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, notJson.getStatus().getCode());
    assertTrue(notJson.getStatus().getDescription().contains("config is not JSON"));
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
        () -> stub.register(RegisterRequest.newBuilder().setConfig("{\"refuse\":true}").build()));
    assertEquals(Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("refused by config"));
  }

  @Test
  void callDispatchesByActionAndPath() {
    var r = stub.call(call("read:echo", "body")).getResponse();
    assertEquals("body", r.getValue().toStringUtf8());
    assertEquals("v", r.getHeadersMap().get("X-Param").getValues(0));
    assertEquals("CalculatorPlugin", r.getMetadataMap().get("caller"));
  }

  @Test
  void unknownEndpointIsNotFoundListingTheEndpoints() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.call(call("read:nope", "")));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("no endpoint 'read:nope'; endpoints: read:echo"));
  }

  @Test
  void endpointExceptionsBecomeStatuses() {
    StatusRuntimeException bad = assertThrows(StatusRuntimeException.class, () -> stub.call(call("write:bad", "")));
    assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
    assertEquals("field 'a' must be a number", bad.getStatus().getDescription());
    StatusRuntimeException denied = assertThrows(StatusRuntimeException.class, () -> stub.call(call("write:denied", "")));
    assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
    StatusRuntimeException boom = assertThrows(StatusRuntimeException.class, () -> stub.call(call("delete:boom", "")));
    assertEquals(Status.Code.INTERNAL, boom.getStatus().getCode());
    assertTrue(boom.getStatus().getDescription().contains("endpoint delete:boom failed"));
  }

  @Test
  void logRecordsReachTheAgentIncludingThoseLoggedBeforeTheStreamOpened() {
    plugin.log(LogLevel.WARNING, "early", Map.of("k", "v"));
    Iterator<LogMessage> logs = stub.loggingStream(LoggingArgs.getDefaultInstance());
    LogMessage first = logs.next();
    assertEquals("early", first.getMessage());
    assertEquals(io.dtac.broker.api.LogLevel.WARNING, first.getLevel());
    assertEquals("k", first.getFields(0).getKey());
    plugin.log(LogLevel.ERROR, "late");
    assertEquals("late", logs.next().getMessage());
  }
}
