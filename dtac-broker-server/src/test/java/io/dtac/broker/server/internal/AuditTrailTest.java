package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.server.AccessPolicy;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One audit record per brokered call, in the audit file, whatever the load: calls go through the
 * broker's real call path (credential check, policy, router) over in-process gRPC.
 */
class AuditTrailTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final AccessPolicy POLICY =
      AccessPolicy.builder()
          .deny("no-writes", "*", "*", "write:*")
          .build();

  @TempDir Path dir;

  private static List<JsonNode> records(Path file) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  @Test
  void everyCallAllowedOrDeniedLeavesExactlyOneRecordUnderConcurrentLoad() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    int callers = 32;
    int callsPerCaller = 10_000 / callers + 1;
    int total = callers * callsPerCaller;
    InProcessBroker broker = new InProcessBroker(PolicyEngine.fixed(POLICY), file);
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      broker.plugins.add("Target", "read:item", "write:item");
      CountDownLatch go = new CountDownLatch(1);
      List<Future<int[]>> results = new ArrayList<>();
      for (int c = 0; c < callers; c++) {
        String credential = broker.credentialFor("Caller" + c);
        results.add(pool.submit(() -> {
          go.await();
          int[] allowedDenied = new int[2];
          for (int i = 0; i < callsPerCaller; i++) {
            String action = i % 5 == 0 ? "write" : "read";
            try {
              broker.stub(credential).callPlugin(call("Target", "item", action, "x" + i));
              allowedDenied[0]++;
            } catch (StatusRuntimeException e) {
              allowedDenied[1]++;
            }
          }
          return allowedDenied;
        }));
      }
      go.countDown();
      int allowed = 0;
      int denied = 0;
      for (Future<int[]> f : results) {
        int[] r = f.get(60, TimeUnit.SECONDS);
        allowed += r[0];
        denied += r[1];
      }
      assertEquals(total, allowed + denied);
      assertTrue(total >= 10_000);

      broker.close();

      List<String> lines = Files.readAllLines(file);
      assertEquals(total, lines.size(), "one line per call");
      Set<String> ids = new HashSet<>();
      Map<String, Integer> byDecision = new HashMap<>();
      for (String line : lines) {
        JsonNode r = JSON.readTree(line);
        assertTrue(r.isObject() && r.size() == 12, "a whole record per line: " + line);
        ids.add(r.get("callId").asText());
        byDecision.merge(r.get("decision").asText() + "/" + r.get("status").asText(), 1, Integer::sum);
      }
      assertEquals(total, ids.size(), "call ids are unique");
      assertEquals(Map.of("allow/OK", allowed, "deny/PERMISSION_DENIED", denied), byDecision);
    } finally {
      pool.shutdownNow();
      broker.close();
    }
  }

  @Test
  void recordsNameCallerTargetOperationDecisionRuleStatusAndSizes() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    String calculator;
    try (InProcessBroker broker = new InProcessBroker(PolicyEngine.fixed(POLICY), file)) {
      broker.plugins.add("HelloPlugin", "read:hello", "write:hello");
      calculator = broker.credentialFor("CalculatorPlugin");
      broker.stub(calculator).callPlugin(call("HelloPlugin", "hello", "read", "12345"));
      assertThrows(StatusRuntimeException.class,
          () -> broker.stub(calculator).callPlugin(call("HelloPlugin", "hello", "write", "")));
      assertThrows(StatusRuntimeException.class,
          () -> broker.stub(calculator).callPlugin(call("HelloPlugin", "nothing", "read", "")));
      assertThrows(StatusRuntimeException.class,
          () -> broker.stub("forged").callPlugin(call("HelloPlugin", "hello", "read", "")));
      broker.hostCall("HelloPlugin", "hello", "read");
    }
    List<JsonNode> r = records(file);
    assertEquals(5, r.size());

    JsonNode ok = r.get(0);
    assertEquals("CalculatorPlugin", ok.get("caller").asText());
    assertEquals("HelloPlugin", ok.get("target").asText());
    assertEquals("hello", ok.get("method").asText());
    assertEquals("read", ok.get("action").asText());
    assertEquals("allow", ok.get("decision").asText());
    assertEquals("default", ok.get("rule").asText());
    assertEquals("OK", ok.get("status").asText());
    assertEquals(7, ok.get("requestBytes").asLong(), "the serialised EndpointRequest: a 5-byte body");
    assertTrue(ok.get("responseBytes").asLong() > 5);
    assertTrue(ok.get("durationMicros").asLong() >= 0);
    assertTrue(ok.get("time").asText().endsWith("Z"));
    assertFalse(ok.get("callId").asText().isEmpty());

    assertEquals("deny", r.get(1).get("decision").asText());
    assertEquals("no-writes", r.get(1).get("rule").asText());
    assertEquals("PERMISSION_DENIED", r.get(1).get("status").asText());
    assertEquals("allow", r.get(2).get("decision").asText());
    assertEquals("NOT_FOUND", r.get(2).get("status").asText());
    assertEquals("unauthenticated", r.get(3).get("caller").asText());
    assertEquals("authentication", r.get(3).get("rule").asText());
    assertEquals("UNAUTHENTICATED", r.get(3).get("status").asText());
    assertEquals("agent", r.get(4).get("caller").asText());
    assertEquals("host", r.get(4).get("rule").asText());

    String all = Files.readString(file);
    assertFalse(all.contains(calculator), "the audit file must not hold credentials");
  }

  @Test
  void aStalledAuditFileNeverBlocksACallerAndCallsAreRefusedRatherThanRunUnaudited() throws Exception {
    Path fifo = dir.resolve("audit.fifo");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertEquals(0, mkfifo.waitFor());
    CountDownLatch diskRecovers = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicLong linesRead = new java.util.concurrent.atomic.AtomicLong();
    Thread disk = new Thread(() -> {
      try (java.io.BufferedReader in = Files.newBufferedReader(fifo)) {
        diskRecovers.await();
        while (in.readLine() != null) {
          linesRead.incrementAndGet();
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }, "slow-disk");
    disk.start();
    InProcessBroker broker = new InProcessBroker(PolicyEngine.fixed(AccessPolicy.allowAll()), fifo);
    try {
      broker.plugins.add("Target", "read:item");
      String credential = broker.credentialFor("Caller");
      // The writer is stuck on the pipe; a caller's thread records far more than the queue holds.
      // More than the queue, plus what the writer took out of it in its last batch before it blocked.
      int flood = AuditLog.CAPACITY + 20_000;
      for (int i = 0; i < flood; i++) {
        broker.audit.record(new AuditRecord("t", "flood-" + i, "Caller", "Target", "item", "read", "allow",
            "default", "OK", 1, 0, 0));
      }
      assertTrue(broker.audit.dropped() > 0, "records over the queue are counted, not waited for");
      assertTrue(broker.audit.behind());
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> broker.stub(credential).callPlugin(call("Target", "item", "read", "x")));
      assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
      assertTrue(refused.getStatus().getDescription().contains("audit trail is too far behind"), refused.getMessage());
      assertEquals(0, broker.plugins.calls("Target"), "a call that could not be audited did not run");

      diskRecovers.countDown();
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> !broker.audit.behind());
      broker.stub(credential).callPlugin(call("Target", "item", "read", "y"));
      assertEquals(1, broker.plugins.calls("Target"));
      long offered = flood + 2;
      broker.close();
      disk.join(TimeUnit.SECONDS.toMillis(60));
      assertEquals(offered - broker.audit.dropped(), linesRead.get(),
          "every record not counted as dropped reached the file, whole");
    } finally {
      diskRecovers.countDown();
      broker.close();
    }
  }

  @Test
  void fieldsTheCallerChoseAreCutBeforeTheyReachARecord() {
    String huge = "m".repeat(100_000);
    AuditRecord r = new AuditRecord("t", "id", "Caller", huge, huge, huge, "deny", "x", "NOT_FOUND", 1, 0, 0);
    assertTrue(r.target().length() < AuditRecord.MAX_FIELD_LENGTH + 40, r.target().length() + "");
    assertTrue(r.method().endsWith("...(99744 more characters)"), r.method().substring(200));
    assertEquals("short", new AuditRecord("t", "id", "c", "short", "m", "read", "a", "r", "OK", 1, 0, 0).target());
  }

  @Test
  void fileIsAppendedToAcrossRunsAndReadableByItsOwnerOnly() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    for (int run = 0; run < 2; run++) {
      try (InProcessBroker broker = new InProcessBroker(PolicyEngine.fixed(POLICY), file)) {
        broker.plugins.add("HelloPlugin", "read:hello");
        broker.hostCall("HelloPlugin", "hello", "read");
      }
    }
    assertEquals(2, records(file).size());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
  }

  @Test
  void closeIsIdempotentAndLaterRecordsDoNotReachTheFile() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditLog audit = new AuditLog(file);
    audit.open();
    audit.record(new AuditRecord("t", audit.nextCallId(), "a", "b", "m", "read", "allow", "host", "OK", 1, 0, 0));
    audit.close();
    audit.close();
    audit.record(new AuditRecord("t", audit.nextCallId(), "a", "b", "m", "read", "allow", "host", "OK", 1, 0, 0));
    assertEquals(1, records(file).size());
    assertEquals(0, Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("dtac-audit-writer") && t.isAlive()).count());
  }

  private static PluginCallRequest call(String target, String method, String action, String body) {
    return PluginCallRequest.newBuilder()
        .setPluginName(target)
        .setMethod(method)
        .setAction(action)
        .setRequest(EndpointRequest.newBuilder().setBody(ByteString.copyFromUtf8(body)))
        .build();
  }
}
