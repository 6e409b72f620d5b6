package io.dtac.plugin;

import io.dtac.core.internal.Headers;
import io.dtac.core.StatusCode;

import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.PluginCallException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.ListPluginsRequest;
import io.dtac.broker.api.ListPluginsResponse;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.api.PluginCallResponse;
import io.dtac.broker.api.PluginDescription;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.core.EndpointInfo;
import io.dtac.core.PluginSummary;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** BrokerClient against a real gRPC server on loopback standing in for the agent's broker. */
class BrokerClientTest {
  private static final Context.Key<String> CREDENTIAL = Context.key("credential");
  private final CountDownLatch slowCallArrived = new CountDownLatch(1);
  private final CountDownLatch slowCallCancelled = new CountDownLatch(1);
  private Server server;
  private BrokerClient client;

  @BeforeEach
  void setUp() throws Exception {
    ServerInterceptor captureCredential = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata h, ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(CREDENTIAL, h.get(Headers.CREDENTIAL)), call, h, next);
      }
    };
    AgentServiceGrpc.AgentServiceImplBase fake = new AgentServiceGrpc.AgentServiceImplBase() {
      @Override
      public void callPlugin(PluginCallRequest request, StreamObserver<PluginCallResponse> out) {
        if (request.getPluginName().equals("Slow")) {
          Context.current().addListener(c -> slowCallCancelled.countDown(), Runnable::run);
          slowCallArrived.countDown();
          return; // never answers
        }
        if (request.getPluginName().equals("Missing")) {
          out.onError(Status.NOT_FOUND.withDescription("plugin 'Missing' not found; loaded: HelloPlugin").asRuntimeException());
          return;
        }
        if (request.getPluginName().equals("Nope")) {
          // As the existing Go agent's broker answers a failed call: OK status, the error in the message.
          out.onNext(PluginCallResponse.newBuilder()
              .setResponse(EndpointResponse.getDefaultInstance())
              .setError("plugin Nope not found").build());
          out.onCompleted();
          return;
        }
        String echo = request.getPluginName() + " " + request.getAction() + ":" + request.getMethod()
            + " " + request.getRequest().getBody().toStringUtf8() + " as " + CREDENTIAL.get();
        out.onNext(PluginCallResponse.newBuilder()
            .setResponse(EndpointResponse.newBuilder().setValue(ByteString.copyFromUtf8(echo))).build());
        out.onCompleted();
      }

      @Override
      public void listPlugins(ListPluginsRequest request, StreamObserver<ListPluginsResponse> out) {
        out.onNext(ListPluginsResponse.newBuilder().addPlugins("HelloPlugin").addPlugins("CalculatorPlugin")
            .addDetails(PluginDescription.newBuilder().setName("HelloPlugin").setRootPath("hello").setState("RUNNING")
                .addEndpoints(PluginEndpoint.newBuilder().setAction("read").setPath("hello").setDescription("says hello")
                    .setSecure(true).setAuthGroup("user")))
            .addDetails(PluginDescription.newBuilder().setName("CalculatorPlugin").setRootPath("calc").setState("FAILED"))
            .build());
        out.onCompleted();
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
        .addService(ServerInterceptors.intercept(fake, captureCredential)).build().start();
    client = BrokerClient.builder("127.0.0.1:" + server.getPort()).credential("s3cret").build();
  }

  @AfterEach
  void tearDown() {
    client.close();
    server.shutdownNow();
  }

  @Test
  void aCallToAHungBrokerEndsAtTheDefaultDeadlineRatherThanWaitingForever() throws Exception {
    assertEquals(java.time.Duration.ofSeconds(60), BrokerClient.DEFAULT_TIMEOUT);
    try (BrokerClient impatient = BrokerClient.builder("127.0.0.1:" + server.getPort())
        .defaultTimeout(java.time.Duration.ofMillis(300)).build()) {
      PluginCallException e = assertThrows(PluginCallException.class,
          () -> impatient.call("Slow", "x", Action.READ, null));
      assertEquals(StatusCode.DEADLINE_EXCEEDED, e.code(), e.getMessage());
      assertTrue(e.getMessage().contains("within its deadline of 300 ms"), e.getMessage());
      ExecutionException async = assertThrows(ExecutionException.class,
          () -> impatient.callAsync("Slow", "x", Action.READ, null).get(10, TimeUnit.SECONDS));
      assertEquals(StatusCode.DEADLINE_EXCEEDED, ((PluginCallException) async.getCause()).code());
    }
    assertThrows(IllegalArgumentException.class,
        () -> BrokerClient.builder("127.0.0.1:1").defaultTimeout(java.time.Duration.ZERO));
  }

  @Test
  void callCarriesTargetMethodActionBodyAndTheCredential() throws Exception {
    Response r = client.call("HelloPlugin", "hello", Action.READ, Request.builder().body("b").build());
    assertEquals("HelloPlugin read:hello b as s3cret", r.valueAsString());
  }

  @Test
  void callAsyncAnswersWithoutBlockingAndFailsWithThePluginCallException() throws Exception {
    CompletableFuture<Response> f =
        client.callAsync("HelloPlugin", "hello", Action.READ, Request.builder().body("b").build());
    assertEquals("HelloPlugin read:hello b as s3cret", f.get(10, TimeUnit.SECONDS).valueAsString());
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> client.callAsync("Missing", "x", Action.READ, null).get(10, TimeUnit.SECONDS));
    PluginCallException failure = (PluginCallException) e.getCause();
    assertEquals(StatusCode.NOT_FOUND, failure.code());
    assertEquals("plugin 'Missing' not found; loaded: HelloPlugin", failure.description());
  }

  @Test
  void anOkAnswerWithItsErrorSetIsAFailureNotAnEmptySuccess() throws Exception {
    PluginCallException e = assertThrows(PluginCallException.class,
        () -> client.call("Nope", "hello", Action.READ, Request.empty()));
    assertEquals(StatusCode.UNKNOWN, e.code());
    assertEquals("plugin Nope not found", e.description());
    java.util.concurrent.ExecutionException async = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> client.callAsync("Nope", "hello", Action.READ, null).get(10, java.util.concurrent.TimeUnit.SECONDS));
    PluginCallException failure = (PluginCallException) async.getCause();
    assertEquals(StatusCode.UNKNOWN, failure.code());
    assertEquals("plugin Nope not found", failure.description());
  }

  @Test
  void listPluginsReturnsTheNames() throws Exception {
    assertEquals(List.of("HelloPlugin", "CalculatorPlugin"), client.listPlugins());
  }

  @Test
  void describePluginsGivesEachPluginsRootPathStateAndEndpoints() throws Exception {
    assertEquals(List.of(
            new PluginSummary("HelloPlugin", "hello", "RUNNING",
                List.of(new EndpointInfo(Action.READ, "hello", "says hello", true, "user", "", ""))),
            new PluginSummary("CalculatorPlugin", "calc", "FAILED", List.of())),
        client.describePlugins());
  }

  @Test
  void callAsyncWithATimeoutFailsWithDeadlineExceededWhenTheAnswerIsLate() {
    CompletableFuture<Response> f = client.callAsync("Slow", "wait", Action.READ, null, Duration.ofMillis(200));
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    assertEquals(StatusCode.DEADLINE_EXCEEDED, ((PluginCallException) e.getCause()).code());
  }

  @Test
  void cancellingTheFutureOfCallAsyncCancelsTheCallAtTheBroker() throws Exception {
    CompletableFuture<Response> f = client.callAsync("Slow", "wait", Action.READ, Request.empty(), Duration.ofSeconds(30));
    assertTrue(slowCallArrived.await(10, TimeUnit.SECONDS), "the call did not reach the broker");
    assertTrue(f.cancel(true));
    assertTrue(f.isCancelled());
    assertTrue(slowCallCancelled.await(10, TimeUnit.SECONDS), "the broker did not see the call cancelled");
    assertThrows(CancellationException.class, f::join);
  }

  @Test
  void aPluginsCallPluginAsyncGoesThroughItsBrokerClient() throws Exception {
    PluginBaseTest.Minimal plugin = new PluginBaseTest.Minimal();
    plugin.initializeBrokerClient(client);
    Response r = plugin.callPluginAsync("HelloPlugin", "hello", Action.READ, Request.builder().body("b").build())
        .get(10, TimeUnit.SECONDS);
    assertEquals("HelloPlugin read:hello b as s3cret", r.valueAsString());
  }

  @Test
  void brokerErrorsArePluginCallExceptionsWithTheStatusCode() {
    PluginCallException e = assertThrows(PluginCallException.class,
        () -> client.call("Missing", "x", Action.READ, null, Duration.ofSeconds(5)));
    assertEquals(StatusCode.NOT_FOUND, e.code());
    assertTrue(e.getMessage().contains("plugin 'Missing' not found"));
  }

  @Test
  void anUnreachableBrokerIsUnavailable() {
    BrokerClient nowhere = BrokerClient.connect("127.0.0.1:1");
    try {
      PluginCallException e = assertThrows(PluginCallException.class,
          () -> nowhere.call("HelloPlugin", "hello", Action.READ, null, Duration.ofSeconds(5)));
      assertEquals(StatusCode.UNAVAILABLE, e.code());
    } finally {
      nowhere.close();
      nowhere.close();
    }
  }

  @Test
  void anEmptyAddressIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> BrokerClient.connect(" "));
  }
}
