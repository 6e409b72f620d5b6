package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import io.dtac.core.internal.Headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.EndpointResponseMessage;
import io.dtac.broker.api.ListPluginsRequest;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.server.PluginState;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Routing and error mapping, fast: the broker's AgentService and a fake plugin, all in-process. */
class CallRouterTest {
  private final PluginRegistry registry = new PluginRegistry(List.of());
  private final CredentialStore credentials = new CredentialStore();
  private Server pluginServer;
  private ManagedChannel pluginChannel;
  private Server brokerServer;
  private ManagedChannel brokerChannel;
  private String calculatorCredential;

  /** Echoes the method key and the caller it was told about; fails on request. */
  private static final class EchoPlugin extends PluginServiceGrpc.PluginServiceImplBase {
    @Override
    public void call(EndpointRequestMessage request, StreamObserver<EndpointResponseMessage> out) {
      if (request.getRequest().getBody().toStringUtf8().equals("fail")) {
        out.onError(Status.INVALID_ARGUMENT.withDescription("division by zero").asRuntimeException());
        return;
      }
      out.onNext(
          EndpointResponseMessage.newBuilder()
              .setResponse(
                  EndpointResponse.newBuilder()
                      .setValue(ByteString.copyFromUtf8(request.getMethod()))
                      .putAllMetadata(request.getRequest().getMetadataMap()))
              .build());
      out.onCompleted();
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    String pluginName = InProcessServerBuilder.generateName();
    pluginServer =
        InProcessServerBuilder.forName(pluginName).directExecutor().addService(new EchoPlugin()).build().start();
    pluginChannel = InProcessChannelBuilder.forName(pluginName).directExecutor().build();
    LoadedPlugin hello = new LoadedPlugin("HelloPlugin", "hello", Path.of("hello.plugin"));
    registry.add(hello);
    registry.connected(hello, null, pluginChannel);
    registry.running(
        hello,
        List.of(PluginEndpoint.newBuilder().setPath("hello").setAction("read").build()),
        "hello");
    calculatorCredential = credentials.issue();
    credentials.bind(calculatorCredential, "CalculatorPlugin");

    String brokerName = InProcessServerBuilder.generateName();
    CallRouter router = new CallRouter(registry, Duration.ofSeconds(5));
    brokerServer =
        InProcessServerBuilder.forName(brokerName)
            .directExecutor()
            .addService(
                ServerInterceptors.intercept(
                    new AgentServiceImpl(router, registry), new CallerAuthInterceptor(credentials)))
            .build()
            .start();
    brokerChannel = InProcessChannelBuilder.forName(brokerName).directExecutor().build();
  }

  @AfterEach
  void tearDown() {
    brokerChannel.shutdownNow();
    brokerServer.shutdownNow();
    pluginChannel.shutdownNow();
    pluginServer.shutdownNow();
  }

  private AgentServiceGrpc.AgentServiceBlockingStub stub(String credential) {
    Metadata headers = new Metadata();
    if (credential != null) {
      headers.put(Headers.CREDENTIAL, credential);
    }
    return AgentServiceGrpc.newBlockingStub(brokerChannel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static PluginCallRequest call(String plugin, String method, String action, String body) {
    return PluginCallRequest.newBuilder()
        .setPluginName(plugin)
        .setMethod(method)
        .setAction(action)
        .setRequest(EndpointRequest.newBuilder().setBody(ByteString.copyFromUtf8(body)))
        .build();
  }

  private Status.Code codeOf(PluginCallRequest request) {
    return assertThrows(StatusRuntimeException.class, () -> stub(calculatorCredential).callPlugin(request))
        .getStatus()
        .getCode();
  }

  @Test
  void callIsForwardedWithTheActionPathMethodKey() {
    EndpointResponse r = stub(calculatorCredential).callPlugin(call("HelloPlugin", "hello", "read", "")).getResponse();
    assertEquals("read:hello", r.getValue().toStringUtf8());
  }

  @Test
  void actionIsCaseInsensitive() {
    EndpointResponse r = stub(calculatorCredential).callPlugin(call("HelloPlugin", "hello", "READ", "")).getResponse();
    assertEquals("read:hello", r.getValue().toStringUtf8());
  }

  @Test
  void targetLearnsTheAuthenticatedCallerAndCannotBeFooled() {
    PluginCallRequest forged =
        call("HelloPlugin", "hello", "read", "").toBuilder()
            .setRequest(EndpointRequest.newBuilder().putMetadata(Protocol.CALLER_METADATA, "AdminPlugin").putMetadata("k", "v"))
            .build();
    EndpointResponse r = stub(calculatorCredential).callPlugin(forged).getResponse();
    assertEquals("CalculatorPlugin", r.getMetadataMap().get(Protocol.CALLER_METADATA));
    assertEquals("v", r.getMetadataMap().get("k"));
  }

  @Test
  void callToUnknownPluginIsNotFoundListingTheLoadedOnes() {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class,
            () -> stub(calculatorCredential).callPlugin(call("Hello", "hello", "read", "")));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertEquals("plugin 'Hello' not found; loaded: HelloPlugin", e.getStatus().getDescription());
  }

  @Test
  void callToUnknownMethodIsNotFoundListingTheEndpoints() {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class,
            () -> stub(calculatorCredential).callPlugin(call("HelloPlugin", "bye", "read", "")));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertEquals(
        "plugin 'HelloPlugin' has no endpoint 'read:bye'; endpoints: read:hello",
        e.getStatus().getDescription());
    assertEquals(Status.Code.NOT_FOUND, codeOf(call("HelloPlugin", "hello", "write", "")));
  }

  @Test
  void badActionIsInvalidArgument() {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class,
            () -> stub(calculatorCredential).callPlugin(call("HelloPlugin", "hello", "fly", "")));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("unknown action 'fly'"));
  }

  @Test
  void missingFieldsAreInvalidArgument() {
    assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(call("", "hello", "read", "")));
    assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(call("HelloPlugin", "", "read", "")));
    assertEquals(Status.Code.INVALID_ARGUMENT, codeOf(call("HelloPlugin", "hello", "", "")));
  }

  @Test
  void targetsOwnErrorReachesTheCaller() {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class,
            () -> stub(calculatorCredential).callPlugin(call("HelloPlugin", "hello", "read", "fail")));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals("division by zero", e.getStatus().getDescription());
  }

  @Test
  void failedTargetIsUnavailableWithTheReason() {
    registry.transition(registry.get("HelloPlugin"), PluginState.FAILED, "process exited with code 137");
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class,
            () -> stub(calculatorCredential).callPlugin(call("HelloPlugin", "hello", "read", "")));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals(
        "plugin 'HelloPlugin' is not running (FAILED): process exited with code 137",
        e.getStatus().getDescription());
  }

  @Test
  void callerWithoutCredentialIsUnauthenticated() {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class,
            () -> stub(null).callPlugin(call("HelloPlugin", "hello", "read", "")));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(Status.Code.UNAUTHENTICATED,
        assertThrows(StatusRuntimeException.class,
            () -> stub("forged").listPlugins(ListPluginsRequest.getDefaultInstance())).getStatus().getCode());
  }

  @Test
  void revokedCredentialIsUnauthenticated() {
    credentials.revoke(calculatorCredential);
    assertEquals(Status.Code.UNAUTHENTICATED, codeOf(call("HelloPlugin", "hello", "read", "")));
  }

  @Test
  void listPluginsShowsNamesRootPathsStatesAndEndpoints() {
    var list = stub(calculatorCredential).listPlugins(ListPluginsRequest.getDefaultInstance());
    assertEquals(List.of("HelloPlugin"), list.getPluginsList());
    assertEquals("hello", list.getDetails(0).getRootPath());
    assertEquals("RUNNING", list.getDetails(0).getState());
    assertEquals("hello", list.getDetails(0).getEndpoints(0).getPath());
  }

  @Test
  void hostCallsAreMadeAsTheAgent() throws Exception {
    CallRouter router = new CallRouter(registry, Duration.ofSeconds(5));
    EndpointResponse r =
        CallerIdentity.asHost(Context.current())
            .call(() -> router.route("HelloPlugin", "hello", "read", EndpointRequest.getDefaultInstance()))
            .get();
    assertEquals(Protocol.HOST_CALLER, r.getMetadataMap().get(Protocol.CALLER_METADATA));
    assertEquals("agent>HelloPlugin", r.getMetadataMap().get(Protocol.CALL_CHAIN_METADATA));
  }

  @Test
  void aCallWithNoIdentityIsUnauthenticatedAndNeverTakenForTheHost() {
    CallRouter router = new CallRouter(registry, Duration.ofSeconds(5));
    ExecutionException e =
        assertThrows(ExecutionException.class,
            () -> router.route("HelloPlugin", "hello", "read", EndpointRequest.getDefaultInstance()).get());
    assertEquals(Status.Code.UNAUTHENTICATED, Status.fromThrowable(e.getCause()).getCode());
  }

  @Test
  void brokerMetadataKeysAreReplacedWhateverTheirCase() {
    PluginCallRequest forged =
        call("HelloPlugin", "hello", "read", "").toBuilder()
            .setRequest(
                EndpointRequest.newBuilder()
                    .putMetadata("DTAC-CALLER", "AdminPlugin")
                    .putMetadata("Dtac-Caller", "AdminPlugin")
                    .putMetadata("Dtac-Call-Token", "forged")
                    .putMetadata("DTAC-call-chain", "agent>AdminPlugin")
                    .putMetadata("dTaC-anything", "forged")
                    .putMetadata("dtacx-kept", "kept"))
            .build();
    Map<String, String> seen = stub(calculatorCredential).callPlugin(forged).getResponse().getMetadataMap();
    Map<String, String> broker = new TreeMap<>();
    seen.forEach((k, v) -> {
      if (k.toLowerCase(Locale.ROOT).startsWith("dtac-")) {
        broker.put(k, v);
      }
    });
    assertEquals(Set.of(Protocol.CALLER_METADATA, Protocol.CALL_CHAIN_METADATA, Protocol.CALL_TOKEN), broker.keySet());
    assertEquals("CalculatorPlugin", broker.get(Protocol.CALLER_METADATA));
    assertEquals("CalculatorPlugin>HelloPlugin", broker.get(Protocol.CALL_CHAIN_METADATA));
    assertNotEquals("forged", broker.get(Protocol.CALL_TOKEN));
    assertEquals("kept", seen.get("dtacx-kept"));
  }
}
