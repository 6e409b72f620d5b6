package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit writer takes records from many threads without a lock, and sleeps when idle. */
class AuditLogTest {
  @TempDir Path dir;

  private static AuditRecord record(String id) {
    return new AuditRecord("t", id, "Caller", "Target", "item", "read", "allow", "default", "OK", 1, 0, 0);
  }

  @Test
  void everyRecordFromManyThreadsReachesTheFileOnceByClose() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditLog audit = new AuditLog(file);
    audit.open();
    int threads = 4;
    int each = 10_000;
    List<Thread> producers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int n = t;
      Thread p = new Thread(() -> {
        for (int i = 0; i < each; i++) {
          audit.record(record(n + "-" + i));
        }
      });
      producers.add(p);
      p.start();
    }
    for (Thread p : producers) {
      p.join();
    }
    audit.close();
    List<String> lines = Files.readAllLines(file);
    assertEquals(threads * each - audit.dropped(), lines.size());
    assertEquals(lines.size(), lines.stream().distinct().count(), "no record written twice");
  }

  @Test
  void anIdleWriterSleepsUntilTheNextRecordRatherThanPolling() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditLog audit = new AuditLog(file);
    audit.open();
    try {
      for (int round = 0; round < 3; round++) {
        audit.record(record("r" + round));
        int expected = round + 1;
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.readAllLines(file).size() == expected);
        // Parked without a timeout: nothing wakes it until a record or close() does.
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> audit.writerState() == Thread.State.WAITING);
      }
    } finally {
      audit.close();
    }
    assertEquals(Thread.State.TERMINATED, audit.writerState());
  }
}
