package io.dtac.examples;

import io.dtac.core.internal.Headers;
import io.dtac.core.Protocol;
import io.dtac.core.Action;

import io.dtac.core.Request;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.ListPluginsRequest;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginState;
import io.dtac.broker.server.internal.TlsMaterial;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who is calling where the kernel is not asked ({@code kernelIdentity(false)}, as on an OS
 * without {@code /proc/net/tcp}), with real plugin processes over mutually authenticated TLS
 * (the default then): the broker knows callers by the credential it handed each plugin on its
 * stdin at launch, never by what a request claims.
 */
class IdentityIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  private static PluginBroker broker;

  @BeforeAll
  static void start() throws Exception {
    Path plugins = java.nio.file.Files.createDirectories(dir.resolve("plugins"));
    ExamplePlugins.probe(plugins, "probe-a.plugin", "ProbeA", "");
    ExamplePlugins.probe(plugins, "probe-b.plugin", "ProbeB", "");
    ExamplePlugins.probe(plugins, "probe-c.plugin", "ProbeC", "");
    broker = PluginBroker.builder()
        .pluginDirectory(plugins)
        .handshakeTimeout(Duration.ofSeconds(30))
        .kernelIdentity(false)
        .build()
        .start();
    broker.plugins().forEach(p -> assertEquals(PluginState.RUNNING, p.state(), p.toString()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (broker != null) {
      broker.close();
    }
  }

  static JsonNode hostCall(PluginBroker broker, String plugin, String method, String action, Object body)
      throws Exception {
    Request request =
        Request.builder().body(JSON.writeValueAsBytes(body)).build();
    return JSON.readTree(broker.call(plugin, method, Action.fromWireName(action), request).value());
  }

  private static JsonNode probeCall(String from, Map<String, Object> call) throws Exception {
    return hostCall(broker, from, "call", "create", call);
  }

  @Test
  void targetSeesTheTrueCallerEvenWhenTheCallerForgesIt() throws Exception {
    JsonNode r = probeCall("ProbeA", Map.of(
        "target", "ProbeB", "method", "echo", "action", "read",
        "metadata", Map.of(Protocol.CALLER_METADATA, "agent", "dtac-anything", "forged", "trace", "kept")));
    assertTrue(r.get("ok").asBoolean(), r.toString());
    JsonNode echo = JSON.readTree(r.get("value").asText());
    assertEquals("ProbeA", echo.get("caller").asText());
    JsonNode metadata = echo.get("metadata");
    assertEquals("ProbeA", metadata.get(Protocol.CALLER_METADATA).asText());
    assertEquals("kept", metadata.get("trace").asText());
    assertEquals("agent>ProbeA>ProbeB", metadata.get(Protocol.CALL_CHAIN_METADATA).asText());
    assertTrue(metadata.has(Protocol.CALL_TOKEN));
    assertEquals(4, metadata.size(), "the broker replaces every dtac-* key the caller set: " + metadata);
  }

  @Test
  void hostCallsReachTheTargetAsAgent() throws Exception {
    JsonNode echo = hostCall(broker, "ProbeB", "echo", "read", Map.of());
    assertEquals("agent", echo.get("caller").asText());
  }

  @Test
  void forgedCredentialIsUnauthenticated() throws Exception {
    JsonNode r = probeCall("ProbeA", Map.of(
        "target", "ProbeB", "method", "echo", "action", "read",
        "credential", "bm90LWEtcmVhbC1jcmVkZW50aWFsLW5vdC1hLXJlYWwtb25l"));
    assertFalse(r.get("ok").asBoolean());
    assertEquals("UNAUTHENTICATED", r.get("code").asText(), r.toString());
    assertTrue(r.get("message").asText().contains("invalid broker credential"), r.toString());
  }

  @Test
  void pluginPresentingAnotherPluginsCredentialIsRefused() throws Exception {
    String probeB = hostCall(broker, "ProbeB", "identity", "read", Map.of()).get("credential").asText();
    JsonNode r = probeCall("ProbeA", Map.of(
        "target", "ProbeB", "method", "echo", "action", "read", "credential", probeB));
    assertFalse(r.get("ok").asBoolean());
    assertEquals("UNAUTHENTICATED", r.get("code").asText(), r.toString());
    assertTrue(r.get("message").asText().contains("a plugin may present only its own credential"), r.toString());
  }

  @Test
  void processTheAgentDidNotLaunchIsRefused() throws Exception {
    JsonNode a = hostCall(broker, "ProbeA", "identity", "read", Map.of());
    TlsChannelCredentials.Builder validCertificate =
        TlsChannelCredentials.newBuilder()
            .trustManager(pem(a.get("ca").asText()))
            .keyManager(pem(a.get("cert").asText()), pem(a.get("key").asText()));
    TlsMaterial.Identity foreign = TlsMaterial.generate(List.of()).issuePlugin("foreign");
    TlsChannelCredentials.Builder foreignCertificate =
        TlsChannelCredentials.newBuilder()
            .trustManager(pem(a.get("ca").asText()))
            .keyManager(pem(foreign.certificatePem()), pem(foreign.privateKeyPem()));

    assertEquals(Status.Code.UNAVAILABLE, list(InsecureChannelCredentials.create(), null),
        "plaintext does not get past the TLS-only broker");
    assertEquals(Status.Code.UNAVAILABLE, list(foreignCertificate.build(), a.get("credential").asText()),
        "a certificate from another CA does not get past the handshake");
    assertEquals(Status.Code.UNAUTHENTICATED, list(validCertificate.build(), null),
        "a stolen certificate is not enough without a credential");
  }

  @Test
  void credentialOfAPluginWhoseProcessEndedIsRevoked() throws Exception {
    JsonNode c = hostCall(broker, "ProbeC", "identity", "read", Map.of());
    ChannelCredentials asProbeC =
        TlsChannelCredentials.newBuilder()
            .trustManager(pem(c.get("ca").asText()))
            .keyManager(pem(c.get("cert").asText()), pem(c.get("key").asText()))
            .build();
    String credential = c.get("credential").asText();
    assertEquals(Status.Code.OK, list(asProbeC, credential), "valid while ProbeC runs");

    long pid = broker.plugin("ProbeC").orElseThrow().pid().orElseThrow();
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    await().atMost(Duration.ofSeconds(20))
        .untilAsserted(() -> assertEquals(Status.Code.UNAUTHENTICATED, list(asProbeC, credential)));
  }

  /** ListPlugins from this test process with the given TLS settings and credential. */
  private static Status.Code list(ChannelCredentials credentials, String credential) throws Exception {
    ManagedChannel channel = Grpc.newChannelBuilder(broker.brokerAddress(), credentials).build();
    try {
      AgentServiceGrpc.AgentServiceBlockingStub stub =
          AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      if (credential != null) {
        Metadata h = new Metadata();
        h.put(Headers.CREDENTIAL, credential);
        stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
      }
      stub.listPlugins(ListPluginsRequest.getDefaultInstance());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static ByteArrayInputStream pem(String s) throws Exception {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.US_ASCII));
  }
}
