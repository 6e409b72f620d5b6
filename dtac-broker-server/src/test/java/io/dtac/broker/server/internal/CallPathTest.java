package io.dtac.broker.server.internal;

import io.dtac.core.internal.Headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.api.StringList;
import io.grpc.Metadata;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Malformed and hostile calls to the broker each get a clear status, and it keeps serving. */
class CallPathTest {
  private final GuardedBroker broker;

  CallPathTest() throws Exception {
    broker = new GuardedBroker(64 * 1024);
  }

  @AfterEach
  void close() {
    assertEquals(Status.Code.OK, broker.callRaw(call("Echo", "echo", "read").toByteArray(), new Metadata()).getCode(),
        "the broker must keep serving");
    assertEquals(0, broker.chains.inFlight());
    assertEquals(0, broker.gate.inFlight());
    broker.close();
  }

  private static PluginCallRequest call(String plugin, String method, String action) {
    return PluginCallRequest.newBuilder().setPluginName(plugin).setMethod(method).setAction(action).build();
  }

  private Status send(PluginCallRequest request) {
    return broker.callRaw(request.toByteArray(), new Metadata());
  }

  @Test
  void invalidUtf8InAPluginNameIsInvalidArgument() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write(new byte[] {0x0a, 0x04, 'E', (byte) 0xc3, 0x28, 'o'});
    call("", "echo", "read").writeTo(bytes);
    Status s = broker.callRaw(bytes.toByteArray(), new Metadata());
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
    assertEquals(
        "the request is not a valid plugin.AgentService/CallPlugin message: Protocol message had invalid UTF-8.",
        s.getDescription());
  }

  @Test
  void bytesThatAreNoMessageAreInvalidArgument() {
    Status s = broker.callRaw(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}, new Metadata());
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
    assertTrue(s.getDescription().startsWith("the request is not a valid plugin.AgentService/CallPlugin message"));
  }

  @Test
  void emptyOrMissingFieldsSayWhichIsMissing() {
    Status empty = broker.callRaw(new byte[0], new Metadata());
    assertEquals(Status.Code.INVALID_ARGUMENT, empty.getCode());
    assertEquals("plugin_name is empty; name the plugin to call, e.g. 'HelloPlugin'", empty.getDescription());
    Status noMethod = send(call("Echo", "", "read"));
    assertEquals("method is empty; name the endpoint path to call, e.g. 'hello'", noMethod.getDescription());
  }

  @Test
  void unknownActionListsTheValidOnes() {
    Status s = send(call("Echo", "echo", "explode\u0001"));
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
    assertEquals("unknown action 'explode\\x01'; expected one of create, read, write, delete", s.getDescription());
  }

  @Test
  void aNameThatCannotBeAPluginIsInvalidArgumentAndNotEchoedInFull() {
    Status s = send(call("Echo\u00e9" + "x".repeat(100_000), "echo", "read"));
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
    assertTrue(s.getDescription().length() < 400, s.getDescription());
  }

  @Test
  void anOversizedRequestIsResourceExhaustedNamingTheLimit() {
    PluginCallRequest big =
        call("Echo", "echo", "create").toBuilder()
            .setRequest(EndpointRequest.newBuilder().setBody(ByteString.copyFrom(new byte[70 * 1024])))
            .build();
    Status s = send(big);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode());
    assertTrue(s.getDescription().contains("65536"), s.getDescription());
  }

  @Test
  void thousandsOfRequestHeadersPassWithinTheSizeLimit() {
    EndpointRequest.Builder request = EndpointRequest.newBuilder();
    for (int i = 0; i < 3000; i++) {
      request.putHeaders("h" + i, StringList.newBuilder().addValues("v").build());
    }
    assertEquals(Status.Code.OK, send(call("Echo", "echo", "read").toBuilder().setRequest(request).build()).getCode());
  }

  @Test
  void thousandsOfCallHeadersAreResourceExhausted() {
    Metadata headers = new Metadata();
    for (int i = 0; i < 3000; i++) {
      headers.put(Metadata.Key.of("x-h" + i, Metadata.ASCII_STRING_MARSHALLER), "v" + i);
    }
    Status s = broker.callRaw(call("Echo", "echo", "read").toByteArray(), headers);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode());
    assertTrue(s.getDescription().matches("the call carries 30[0-9][0-9] metadata entries \\([0-9]+ bytes\\); the broker accepts at most 8192 bytes of metadata per call"), s.getDescription());
  }

  @Test
  void aForgedCallTokenIsRefused() {
    Metadata headers = new Metadata();
    headers.put(Headers.CALL_TOKEN, "forged-token");
    Status s = broker.callRaw(call("Echo", "echo", "read").toByteArray(), headers);
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
    assertEquals(
        "header dtac-call-token does not name a call in flight to plugin 'Caller': send the token of"
            + " the call being served, or none",
        s.getDescription());
  }

  @Test
  void aCallWithoutCredentialIsUnauthenticatedEvenWithGarbage() throws Exception {
    Metadata headers = new Metadata();
    headers.put(Headers.CREDENTIAL, "nope");
    Status s = broker.callRaw(new byte[] {(byte) 0xff}, headers);
    assertEquals(Status.Code.UNAUTHENTICATED, s.getCode());
  }
}
