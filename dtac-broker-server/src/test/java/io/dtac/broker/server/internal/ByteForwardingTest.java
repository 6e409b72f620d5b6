package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.api.PluginCallResponse;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.api.StringList;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.core.Protocol;
import io.dtac.core.internal.Headers;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The broker forwards a request's EndpointRequest and the target's EndpointResponse byte for byte
 * (unknown fields, field order and repeated fields included), replaces only the {@code dtac-*}
 * metadata, and refuses bytes that are no valid message with a status that says so.
 */
class ByteForwardingTest {
  private static final Duration NO_HANG = Duration.ofSeconds(30);

  private final AtomicReference<ByteString> received = new AtomicReference<>();
  private final AtomicReference<ByteString> answer = new AtomicReference<>();
  private final AtomicInteger targetCalls = new AtomicInteger();
  private final PluginRegistry registry = new PluginRegistry(List.of());
  private final CredentialStore credentials = new CredentialStore();
  private final AuditLog audit = new AuditLog(null);
  private Server target;
  private ManagedChannel targetChannel;
  private Server broker;
  private ManagedChannel brokerChannel;

  /** A target that keeps the bytes it receives and answers {@link #answer}'s bytes as they are. */
  private void start() throws IOException {
    String targetName = InProcessServerBuilder.generateName();
    MethodDescriptor<ByteString, ByteString> raw =
        PluginServiceGrpc.getCallMethod()
            .toBuilder(ByteForwarding.BytesMarshaller.INSTANCE, ByteForwarding.BytesMarshaller.INSTANCE)
            .build();
    target =
        InProcessServerBuilder.forName(targetName)
            .directExecutor()
            .addService(ServerServiceDefinition.builder(PluginServiceGrpc.SERVICE_NAME)
                .addMethod(raw, ServerCalls.asyncUnaryCall((request, out) -> {
                  targetCalls.incrementAndGet();
                  received.set(request);
                  out.onNext(answer.get());
                  out.onCompleted();
                }))
                .build())
            .build()
            .start();
    targetChannel = InProcessChannelBuilder.forName(targetName).directExecutor().build();
    LoadedPlugin plugin = new LoadedPlugin("Target", "target", null);
    registry.add(plugin);
    registry.connected(plugin, null, targetChannel);
    registry.running(plugin, List.of(PluginEndpoint.newBuilder().setAction("read").setPath("echo").build()), "target");
    CallChains chains = new CallChains(CallChains.DEFAULT_MAX_DEPTH);
    CallGate gate = new CallGate(
        new CallRouter(registry, Duration.ofSeconds(10), chains, new ShutdownGate(), 1024 * 1024),
        PolicyEngine.fixed(AccessPolicy.allowAll()), audit);
    String brokerName = InProcessServerBuilder.generateName();
    broker =
        InProcessServerBuilder.forName(brokerName)
            .directExecutor()
            .addService(AgentServiceChain.of(
                new AgentServiceImpl(gate, registry), new CallerAuthInterceptor(credentials, audit), chains, audit))
            .build()
            .start();
    brokerChannel = InProcessChannelBuilder.forName(brokerName).directExecutor().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    for (ManagedChannel c : new ManagedChannel[] {brokerChannel, targetChannel}) {
      if (c != null) {
        c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    for (Server s : new Server[] {broker, target}) {
      if (s != null) {
        s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    audit.close();
  }

  /** Sends {@code request} to CallPlugin as "Caller"; answers the PluginCallResponse's bytes. */
  private byte[] callAsCaller(byte[] request) {
    String credential = credentials.issue();
    credentials.bind(credential, "Caller");
    Metadata headers = new Metadata();
    headers.put(Headers.CREDENTIAL, credential);
    return ClientCalls.blockingUnaryCall(
        ClientInterceptors.intercept(brokerChannel, MetadataUtils.newAttachHeadersInterceptor(headers)),
        GuardedBroker.CALL_PLUGIN, CallOptions.DEFAULT, request);
  }

  private static byte[] field(int number, int wireType, byte[] payload) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.writeTag(number, wireType);
    if (wireType == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
      out.writeUInt32NoTag(payload.length);
      out.writeRawBytes(payload);
    } else {
      out.writeUInt64NoTag(payload[0]);
    }
    out.flush();
    return bytes.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] metadataEntry(String key, String value) {
    return EndpointRequest.newBuilder().putMetadata(key, value).build().toByteArray();
  }

  @Test
  void theRequestAndTheAnswerAreForwardedByteForByteButForTheBrokersMetadata() throws Exception {
    start();
    byte[] unknownFirst = field(15, WireFormat.WIRETYPE_VARINT, new byte[] {7});
    byte[] body = field(4, WireFormat.WIRETYPE_LENGTH_DELIMITED, "first body".getBytes());
    byte[] kept = metadataEntry("k", "v");
    byte[] header = EndpointRequest.newBuilder()
        .putHeaders("h", StringList.newBuilder().addValues("a").addValues("b").build()).build().toByteArray();
    byte[] unknownMessage = field(99, WireFormat.WIRETYPE_LENGTH_DELIMITED, "xyz".getBytes());
    byte[] forged = metadataEntry("DTAC-Caller", "Somebody");
    byte[] secondBody = field(4, WireFormat.WIRETYPE_LENGTH_DELIMITED, "second body".getBytes());
    byte[] request = concat(unknownFirst, body, kept, header, forged, unknownMessage, secondBody);
    // The target's answer: an unknown field before the value, and fields the broker drops.
    byte[] response = concat(field(20, WireFormat.WIRETYPE_LENGTH_DELIMITED, "extra".getBytes()),
        field(4, WireFormat.WIRETYPE_LENGTH_DELIMITED, "value".getBytes()));
    answer.set(ByteString.copyFrom(concat(field(1, WireFormat.WIRETYPE_VARINT, new byte[] {3}),
        field(2, WireFormat.WIRETYPE_LENGTH_DELIMITED, response),
        field(3, WireFormat.WIRETYPE_LENGTH_DELIMITED, "ignored".getBytes()))));

    byte[] call = concat(
        PluginCallRequest.newBuilder().setPluginName("Target").setMethod("echo").setAction("READ").build().toByteArray(),
        field(4, WireFormat.WIRETYPE_LENGTH_DELIMITED, request));
    byte[] reply = callAsCaller(call);

    EndpointRequestMessage forwarded = EndpointRequestMessage.parseFrom(received.get());
    assertEquals("read:echo", forwarded.getMethod());
    byte[] forwardedRequest = forwarded.getRequest().toByteArray();
    ByteString raw = rawRequestField(received.get());
    byte[] expectedPrefix = concat(unknownFirst, body, kept, header, unknownMessage, secondBody);
    assertArrayEquals(expectedPrefix, raw.substring(0, expectedPrefix.length).toByteArray(),
        "everything but the forged dtac-* entry reaches the target as the caller sent it");
    EndpointRequest stamped = EndpointRequest.parseFrom(raw);
    assertEquals("Caller", stamped.getMetadataOrThrow(Protocol.CALLER_METADATA));
    assertTrue(stamped.getMetadataMap().keySet().stream().noneMatch(k -> k.equals("DTAC-Caller")));
    assertEquals("v", stamped.getMetadataOrThrow("k"));
    assertEquals("second body", stamped.getBody().toStringUtf8(), "the last body wins, as protobuf reads it");
    assertTrue(forwardedRequest.length > 0);

    assertArrayEquals(field(1, WireFormat.WIRETYPE_LENGTH_DELIMITED, response), reply,
        "the answer reaches the caller as the target sent it");
    assertEquals("value", PluginCallResponse.parseFrom(reply).getResponse().getValue().toStringUtf8());
  }

  /** Field 2 (the EndpointRequest) of an EndpointRequestMessage, as bytes. */
  private static ByteString rawRequestField(ByteString message) throws IOException {
    com.google.protobuf.CodedInputStream in = message.newCodedInput();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      if (tag == (2 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED)) {
        return in.readBytes();
      }
      in.skipField(tag);
    }
    throw new AssertionError("no request field");
  }

  @Test
  void aNestedStringThatIsNotUtf8IsInvalidArgumentAndNeverReachesTheTarget() throws Exception {
    start();
    byte[] badValue = field(1, WireFormat.WIRETYPE_LENGTH_DELIMITED, new byte[] {(byte) 0xc3, 0x28});
    byte[] entry = concat(field(1, WireFormat.WIRETYPE_LENGTH_DELIMITED, "h".getBytes()),
        field(2, WireFormat.WIRETYPE_LENGTH_DELIMITED, badValue));
    byte[] request = field(2, WireFormat.WIRETYPE_LENGTH_DELIMITED, entry);
    byte[] call = concat(
        PluginCallRequest.newBuilder().setPluginName("Target").setMethod("echo").setAction("read").build().toByteArray(),
        field(4, WireFormat.WIRETYPE_LENGTH_DELIMITED, request));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> callAsCaller(call));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals("the request is not a valid plugin.AgentService/CallPlugin message: Protocol message had invalid UTF-8.",
        e.getStatus().getDescription());
    assertEquals(0, targetCalls.get());
  }

  @Test
  void anAnswerThatIsNoMessageFailsTheCallWithAStatusNotAHang() throws Exception {
    start();
    answer.set(ByteString.copyFrom(new byte[] {0x12, 0x7f, 0x01}));
    byte[] call = PluginCallRequest.newBuilder().setPluginName("Target").setMethod("echo").setAction("read").build()
        .toByteArray();
    StatusRuntimeException e = assertTimeoutPreemptively(NO_HANG,
        () -> assertThrows(StatusRuntimeException.class, () -> callAsCaller(call)));
    assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), e.toString());
    assertEquals("plugin 'Target' endpoint 'read:echo': the plugin's answer is not a valid EndpointResponseMessage",
        e.getStatus().getDescription());
    assertEquals(1, targetCalls.get());
  }

  @Test
  void malformedRequestsAreInvalidArgument() {
    byte[][] malformed = {
      {(byte) 0xff, (byte) 0xff, (byte) 0xff},
      {0x22, 0x05, 0x01},
      {0x22, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f},
      {0x0a, 0x02, (byte) 0xc3, 0x28},
      {0x22, 0x04, 0x0a, 0x02, 0x0a, 0x05},
      {0x00},
    };
    for (byte[] bytes : malformed) {
      StatusRuntimeException e = assertTimeoutPreemptively(NO_HANG, () -> assertThrows(StatusRuntimeException.class,
          () -> ByteForwarding.CALL_PLUGIN.parseRequest(new ByteArrayInputStream(bytes))));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
      assertEquals("the request is not a valid PluginCallRequest", e.getStatus().getDescription());
    }
  }

  @Test
  void malformedAnswersAreInternal() {
    byte[][] malformed = {
      {(byte) 0xff, (byte) 0xff},
      {0x12, 0x05, 0x22},
      {0x12, 0x04, 0x0a, 0x02, 0x0a, 0x09},
      {0x12, 0x06, 0x12, 0x04, 0x0a, 0x02, (byte) 0xc3, 0x28},
    };
    for (byte[] bytes : malformed) {
      StatusRuntimeException e = assertTimeoutPreemptively(NO_HANG, () -> assertThrows(StatusRuntimeException.class,
          () -> ByteForwarding.CALL.parseResponse(new ByteArrayInputStream(bytes))));
      assertEquals(Status.Code.INTERNAL, e.getStatus().getCode(), e.toString());
      assertEquals("the plugin's answer is not a valid EndpointResponseMessage", e.getStatus().getDescription());
    }
  }

  @Test
  void aParsedMessageAndItsBytesForwardTheSame() throws Exception {
    EndpointRequest request = EndpointRequest.newBuilder()
        .putMetadata("a", "b").putMetadata("dtac-call-token", "forged")
        .putParameters("p", StringList.newBuilder().addValues("1").build())
        .setBody(ByteString.copyFromUtf8("{}"))
        .build();
    PluginCallRequest call = PluginCallRequest.newBuilder().setPluginName("P").setMethod("m").setAction("read")
        .setRequest(request).build();
    ByteForwarding.PluginCall parsed = ByteForwarding.CALL_PLUGIN.parseRequest(call.toByteString().newInput());
    assertEquals(ByteForwarding.PluginCall.of(call), parsed);
    assertEquals(call, PluginCallRequest.parseFrom(ByteForwarding.CALL_PLUGIN.streamRequest(parsed)));
    ByteString stamped = ByteForwarding.stamp(parsed.request(), CallerIdentity::isReservedMetadataKey,
        java.util.Map.of("dtac-caller", "Caller"));
    EndpointRequest expected = request.toBuilder().removeMetadata("dtac-call-token").putMetadata("dtac-caller", "Caller")
        .build();
    assertEquals(expected, EndpointRequest.parseFrom(stamped));
    EndpointResponse response = EndpointResponse.newBuilder().setValue(ByteString.copyFromUtf8("v")).build();
    assertEquals(response, PluginCallResponse.parseFrom(
        ByteForwarding.CALL_PLUGIN.streamResponse(response.toByteString())).getResponse());
  }
}
