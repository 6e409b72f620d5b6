package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.server.AccessPolicy;
import io.grpc.Context;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whether a call is the host's is the mark the host path sets, never a name. */
class CallerIdentityTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AccessPolicy DENY_ALL =
      AccessPolicy.builder().defaultEffect(AccessPolicy.Effect.DENY).build();

  @TempDir Path dir;

  @Test
  void aContextWithoutIdentityHasNoCallerRatherThanTheHost() {
    assertNull(CallerIdentity.current());
  }

  @Test
  void theHostMarkAndAPluginIdentityAreDistinctFacts() throws Exception {
    CallerIdentity host = CallerIdentity.asHost(Context.current()).call(CallerIdentity::current);
    assertTrue(host.isHost());
    assertEquals("agent", host.name());
    CallerIdentity named = CallerIdentity.withCaller(Context.current(), "agent").call(CallerIdentity::current);
    assertFalse(named.isHost(), "a plugin identity is never the host, whatever its name");
    assertEquals("agent", named.name());
  }

  @Test
  void aPluginIdentityNamedAgentIsSubjectToThePolicyAndDoesNotReachTheTarget() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    InProcessBroker broker = new InProcessBroker(PolicyEngine.fixed(DENY_ALL), file);
    ExecutionException e;
    try {
      broker.plugins.add("SecretPlugin", "read:secret");
      e = assertThrows(ExecutionException.class,
          () -> CallerIdentity.withCaller(Context.current(), "agent")
              .call(() -> broker.gate.call("SecretPlugin", "secret", "read", EndpointRequest.getDefaultInstance()))
              .get());
      assertEquals(0, broker.plugins.calls("SecretPlugin"), "the target must not be reached");
    } finally {
      broker.close();
    }
    assertEquals(Status.Code.PERMISSION_DENIED, Status.fromThrowable(e.getCause()).getCode());
    List<String> lines = Files.readAllLines(file);
    assertEquals(1, lines.size());
    JsonNode r = JSON.readTree(lines.get(0));
    assertEquals("deny", r.get("decision").asText());
    assertEquals("default", r.get("rule").asText());
  }

  @Test
  void theHostMarkBypassesThePolicyAndIsAuditedAsTheHost() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    InProcessBroker broker = new InProcessBroker(PolicyEngine.fixed(DENY_ALL), file);
    try {
      broker.plugins.add("SecretPlugin", "read:secret");
      assertEquals("agent", broker.hostCall("SecretPlugin", "secret", "read").getMetadataOrThrow(Protocol.CALLER_METADATA));
      assertEquals(1, broker.plugins.calls("SecretPlugin"));
    } finally {
      broker.close();
    }
    JsonNode r = JSON.readTree(Files.readAllLines(file).get(0));
    assertEquals("agent", r.get("caller").asText());
    assertEquals("host", r.get("rule").asText());
  }

  @Test
  void brokerMetadataKeysAreRecognisedInAnyCase() {
    for (String key : new String[] {Protocol.CALLER_METADATA, "DTAC-CALLER", "Dtac-Call-Token", "dTaC-x"}) {
      assertTrue(CallerIdentity.isReservedMetadataKey(key), key);
    }
    for (String key : new String[] {"dtac", "dtacx-caller", "x-dtac-caller", ""}) {
      assertFalse(CallerIdentity.isReservedMetadataKey(key), key);
    }
  }

  @Test
  void aPluginCannotBeGivenNoName() {
    assertThrows(NullPointerException.class, () -> CallerIdentity.withCaller(Context.current(), null));
  }
}
