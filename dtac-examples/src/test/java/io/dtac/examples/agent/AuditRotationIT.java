package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example agent's audit trail rolls over by size and still holds N whole records for N calls:
 * a real broker in a child JVM ({@link AuditFlood}) audits calls from 32 threads into
 * {@code audit.jsonl} files of 64 KB, then a second run appends to the trail and starts a new
 * {@code agent.log}.
 */
class AuditRotationIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CALLS = 3_000;
  private static final int SECOND_RUN_CALLS = 500;

  @TempDir Path tmp;

  @Test
  void nCallsFromManyThreadsLeaveNWholeRecordsAcrossTheRolledFiles() throws Exception {
    Path logs = Files.createDirectories(tmp.resolve("home").resolve("logs"));
    run(logs, CALLS);
    assertTrue(Files.size(logs.resolve("agent.log")) > 0);
    assertFalse(Files.exists(logs.resolve("agent.log.1")));
    run(logs, SECOND_RUN_CALLS);
    assertTrue(Files.exists(logs.resolve("agent.log.1")), "a new run rolls the previous run's agent.log over");

    List<Path> files;
    try (Stream<Path> all = Files.list(logs)) {
      files = all.filter(f -> f.getFileName().toString().startsWith("audit.jsonl")).sorted()
          .collect(Collectors.toList());
    }
    assertTrue(files.size() >= 5, "audit.jsonl rolled over: " + files);
    Set<String> callIds = new HashSet<>();
    for (Path f : files) {
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
      assertTrue(Files.size(f) <= LogSettings.MIN_FILE_BYTES + 1024, f + ": " + Files.size(f) + " bytes");
      for (String line : Files.readAllLines(f)) {
        JsonNode record = JSON.readTree(line);
        assertEquals("NOT_FOUND", record.get("status").asText(), line);
        assertTrue(callIds.add(record.get("callId").asText()), "a record twice: " + line);
      }
    }
    assertEquals(CALLS + SECOND_RUN_CALLS, callIds.size(), "records across " + files.size() + " files");
  }

  private void run(Path logs, int calls) throws Exception {
    Path out = tmp.resolve("out-" + calls + ".txt");
    Process p = new ProcessBuilder(AgentProcess.javaMain(AuditFlood.class.getName(),
            logs.toString(), Integer.toString(calls), "32"))
        .redirectErrorStream(true)
        .redirectOutput(out.toFile())
        .start();
    try {
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the audit flood did not finish");
    } finally {
      p.destroyForcibly();
      p.onExit().get(10, TimeUnit.SECONDS);
    }
    assertEquals(0, p.exitValue(), Files.readString(out));
  }
}
