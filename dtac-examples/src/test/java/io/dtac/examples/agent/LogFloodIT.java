package io.dtac.examples.agent;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plugin floods the real example agent with forged log records (line breaks, a fake audit
 * record, carriage returns, ANSI escapes, 5 MiB messages) over LoggingStream and stderr: the
 * agent's log stays within its rotation bound, every line of it is a line the agent wrote, the
 * plugin gets no more than its rate, and the log says how many records it dropped.
 */
class LogFloodIT {
  /** Each line the agent's log layout writes starts so (logback-agent.xml). */
  private static final Pattern LINE_START =
      Pattern.compile("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) \\[[^\\]]+\\] (TRACE|DEBUG|INFO |WARN |ERROR) \\S+ - ");
  private static final Pattern DROPPED =
      Pattern.compile(" WARN  dtac\\.plugin\\.FloodPlugin - (\\d+) records dropped: plugin FloodPlugin logged more than 200 records/s \\(bursts of 2000\\)$");
  private static final Pattern DROPPED_IN_PLUGIN =
      Pattern.compile(" WARN  dtac\\.plugin\\.FloodPlugin - (\\d+) log records dropped in the plugin: ");
  private static final long MAX_FILE_BYTES = 256 * 1024;
  private static final int MAX_FILES = 3;
  private static final int RATE = 200;
  private static final int BURST = 2_000;
  private static final int RECORDS = 60_000;

  @TempDir Path tmp;
  private AgentProcess agent;

  @AfterEach
  void stop() {
    if (agent != null) {
      agent.close();
    }
  }

  @Test
  void aFloodOfForgedRecordsStaysWithinTheLogsBoundsAndForgesNoLine() throws Exception {
    Path plugins = Files.createDirectories(tmp.resolve("plugins"));
    Path done = tmp.resolve("flood-done");
    Path file = plugins.resolve("flood.plugin");
    Files.writeString(file, "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
        + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -Xmx256m -cp '" + AgentProcess.lib() + "/*:"
        + AgentProcess.lib().resolveSibling("test-classes") + "' " + FloodPlugin.class.getName() + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path config = Files.writeString(tmp.resolve("agent.json"), "{\"logs\": {\"max_file_size\": \"256KB\","
        + " \"max_files\": " + MAX_FILES + ", \"plugin_records_per_second\": " + RATE + ", \"plugin_burst\": " + BURST
        + "}, \"plugins\": {\"flood\": {\"config\": {\"records\": " + RECORDS + ", \"huge\": 20, \"done_file\": \""
        + done + "\"}}}}");
    Path home = tmp.resolve("home");
    long started = System.nanoTime();
    agent = AgentProcess.start(AgentProcess.java("agent", "--port", "0", "--plugins", plugins.toString(),
        "--config", config.toString()), home);
    agent.awaitPort();
    assertTrue(agent.output().contains("plugin FloodPlugin loaded"), agent.diagnostics());
    await().atMost(Duration.ofSeconds(120)).until(() -> Files.exists(done));
    await().atMost(Duration.ofSeconds(30)).until(() -> droppedReported(home) > 0);
    assertEquals(143, agent.terminate(), agent.diagnostics());
    double seconds = (System.nanoTime() - started) / 1e9;

    Path logs = home.resolve("logs");
    List<Path> files = agentLogs(logs);
    long total = 0;
    for (Path p : files) {
      long size = Files.size(p);
      total += size;
      // A file rolls over before the record that finds it at its size: one record may be past it.
      assertTrue(size <= MAX_FILE_BYTES + 20 * 1024, p + " has " + size + " bytes");
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p.toString());
    }
    assertTrue(files.size() >= 2, "the flood rolled agent.log over: " + files + ", " + total + " bytes");
    assertTrue(files.size() <= MAX_FILES + 1, "at most " + MAX_FILES + " old files are kept: " + files);
    System.out.printf("LogFloodIT: %d records + %d stderr lines sent in %.1f s; agent.log*: %d files, %d bytes%n",
        RECORDS + 20, RECORDS / 5 * 2, seconds, files.size(), total);

    long fromPlugin = 0;
    long dropped = 0;
    long droppedInPlugin = 0;
    for (Path p : files) {
      byte[] bytes = Files.readAllBytes(p);
      for (byte b : bytes) {
        assertFalse(b == 0x1b || b == '\r', p + " holds a raw ESC or CR byte");
      }
      for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n", -1)) {
        if (line.isEmpty()) {
          continue;
        }
        assertTrue(LINE_START.matcher(line).find(), "a line the agent did not write, in " + p + ": " + line);
        assertFalse(line.startsWith("\tat ") || line.contains("Exception"), "a stack trace in " + p + ": " + line);
        Matcher m = DROPPED.matcher(line);
        Matcher inPlugin = DROPPED_IN_PLUGIN.matcher(line);
        if (m.find()) {
          dropped += Long.parseLong(m.group(1));
        } else if (inPlugin.find()) {
          droppedInPlugin += Long.parseLong(inPlugin.group(1));
        } else if (line.contains(" dtac.plugin.FloodPlugin - ") && line.contains(FloodPlugin.MARK)) {
          fromPlugin++;
          assertTrue(line.length() < 20_000, "a line of " + line.length() + " characters");
        }
      }
    }
    System.out.printf("LogFloodIT: %d flood lines logged in the kept files; reported dropped: %d by the agent,"
        + " %d by the plugin%n", fromPlugin, dropped, droppedInPlugin);
    // Most of what the plugin sent is over its rate; where it was dropped depends on who was faster.
    assertTrue(dropped + droppedInPlugin > RECORDS / 10, "dropped " + dropped + " + " + droppedInPlugin);
    assertTrue(fromPlugin <= BURST + RATE * seconds + 100,
        fromPlugin + " flood lines in " + seconds + " s exceed the plugin's rate");
    String audit = Files.readString(logs.resolve("audit.jsonl"));
    assertFalse(audit.contains("forged"), audit);
  }

  private static long droppedReported(Path home) throws IOException {
    long n = 0;
    for (Path p : agentLogs(home.resolve("logs"))) {
      for (String line : Files.readAllLines(p)) {
        Matcher m = DROPPED.matcher(line);
        if (m.find()) {
          n += Long.parseLong(m.group(1));
        }
      }
    }
    return n;
  }

  private static List<Path> agentLogs(Path logs) throws IOException {
    try (Stream<Path> all = Files.list(logs)) {
      return new ArrayList<>(all.filter(p -> p.getFileName().toString().startsWith("agent.log"))
          .sorted().collect(Collectors.toList()));
    }
  }
}
