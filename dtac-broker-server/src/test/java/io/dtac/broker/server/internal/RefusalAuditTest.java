package io.dtac.broker.server.internal;

import io.dtac.core.internal.Headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.server.AccessPolicy;
import io.grpc.Metadata;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Calls refused before the access policy (metadata limit, call-chain check, request guard, and a
 * call without identity) each leave exactly one audit record, and never reach the target: attacks
 * over the broker's real call path, in-process.
 */
class RefusalAuditTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] ECHO =
      PluginCallRequest.newBuilder().setPluginName("Echo").setMethod("echo").setAction("read").build().toByteArray();
  private static final byte[] GARBAGE = {(byte) 0xff, (byte) 0xff, (byte) 0xff};

  @TempDir Path dir;

  private static Metadata thousandsOfHeaders() {
    Metadata headers = new Metadata();
    for (int i = 0; i < 3000; i++) {
      headers.put(Metadata.Key.of("x-h" + i, Metadata.ASCII_STRING_MARSHALLER), "v" + i);
    }
    return headers;
  }

  private static Metadata forgedToken() {
    Metadata headers = new Metadata();
    headers.put(Headers.CALL_TOKEN, "forged-token");
    return headers;
  }

  private List<JsonNode> records(Path file) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  /** The one record of a call refused before its request was read. */
  private static void assertRefusal(JsonNode r, String caller, String rule, Status.Code status) {
    assertEquals(caller, r.get("caller").asText(), r.toString());
    assertEquals("", r.get("target").asText(), r.toString());
    assertEquals("", r.get("method").asText(), r.toString());
    assertEquals("", r.get("action").asText(), r.toString());
    assertEquals("deny", r.get("decision").asText(), r.toString());
    assertEquals(rule, r.get("rule").asText(), r.toString());
    assertEquals(status.name(), r.get("status").asText(), r.toString());
    assertEquals(0, r.get("requestBytes").asLong(), r.toString());
    assertEquals(0, r.get("responseBytes").asLong(), r.toString());
  }

  @Test
  void tooMuchMetadataIsRefusedBeforeTheTargetAndAuditedOnce() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    GuardedBroker broker = new GuardedBroker(64 * 1024, file);
    Status s;
    try {
      s = broker.callRaw(ECHO, thousandsOfHeaders());
    } finally {
      broker.close();
    }
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, s.getCode());
    assertEquals(0, broker.echoCalls.get(), "the target must not be reached");
    List<JsonNode> r = records(file);
    assertEquals(1, r.size(), r.toString());
    // The limit is checked before the credential, so the caller is not known yet.
    assertRefusal(r.get(0), "unauthenticated", "metadata-limit", Status.Code.RESOURCE_EXHAUSTED);
  }

  @Test
  void aForgedCallTokenIsRefusedBeforeTheTargetAndAuditedOnceNamingTheCaller() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    GuardedBroker broker = new GuardedBroker(64 * 1024, file);
    Status s;
    try {
      s = broker.callRaw(ECHO, forgedToken());
    } finally {
      broker.close();
    }
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
    assertEquals(0, broker.echoCalls.get(), "the target must not be reached");
    List<JsonNode> r = records(file);
    assertEquals(1, r.size(), r.toString());
    assertRefusal(r.get(0), "Caller", "call-chain", Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void aRequestThatDoesNotParseIsRefusedAndAuditedOnceNamingTheCaller() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    GuardedBroker broker = new GuardedBroker(64 * 1024, file);
    Status s;
    try {
      s = broker.callRaw(GARBAGE, new Metadata());
    } finally {
      broker.close();
    }
    assertEquals(Status.Code.INVALID_ARGUMENT, s.getCode());
    assertEquals(0, broker.echoCalls.get(), "the target must not be reached");
    List<JsonNode> r = records(file);
    assertEquals(1, r.size(), r.toString());
    assertRefusal(r.get(0), "Caller", "request-guard", Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void aCallEveryCheckWouldRefuseIsAuditedOnceByTheFirstThatDoes() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    GuardedBroker broker = new GuardedBroker(64 * 1024, file);
    Status tooBig;
    Status noCredential;
    Status forged;
    try {
      Metadata everything = thousandsOfHeaders();
      everything.merge(forgedToken());
      tooBig = broker.callRawWith(GARBAGE, everything);
      noCredential = broker.callRawWith(GARBAGE, forgedToken());
      forged = broker.callRaw(GARBAGE, forgedToken());
    } finally {
      broker.close();
    }
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, tooBig.getCode());
    assertEquals(Status.Code.UNAUTHENTICATED, noCredential.getCode());
    assertEquals(Status.Code.INVALID_ARGUMENT, forged.getCode());
    assertEquals(0, broker.echoCalls.get(), "the target must not be reached");
    List<JsonNode> r = records(file);
    assertEquals(3, r.size(), "one record per call: " + r);
    assertRefusal(r.get(0), "unauthenticated", "metadata-limit", Status.Code.RESOURCE_EXHAUSTED);
    assertRefusal(r.get(1), "unauthenticated", "authentication", Status.Code.UNAUTHENTICATED);
    assertRefusal(r.get(2), "Caller", "call-chain", Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void aCallWithoutIdentityIsUnauthenticatedNotTheHostAndAuditedOnce() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    InProcessBroker broker =
        new InProcessBroker(PolicyEngine.fixed(AccessPolicy.allowAll()), file);
    ExecutionException e;
    try {
      broker.plugins.add("HelloPlugin", "read:hello");
      e = assertThrows(ExecutionException.class,
          () -> broker.gate.call("HelloPlugin", "hello", "read", EndpointRequest.getDefaultInstance()).get());
      assertEquals(0, broker.plugins.calls("HelloPlugin"), "the target must not be reached");
    } finally {
      broker.close();
    }
    assertEquals(Status.Code.UNAUTHENTICATED, Status.fromThrowable(e.getCause()).getCode());
    List<JsonNode> r = records(file);
    assertEquals(1, r.size(), r.toString());
    JsonNode record = r.get(0);
    assertEquals("unauthenticated", record.get("caller").asText());
    assertEquals("HelloPlugin", record.get("target").asText());
    assertEquals("hello", record.get("method").asText());
    assertEquals("read", record.get("action").asText());
    assertEquals("deny", record.get("decision").asText());
    assertEquals("no-identity", record.get("rule").asText());
    assertEquals("UNAUTHENTICATED", record.get("status").asText());
  }
}
