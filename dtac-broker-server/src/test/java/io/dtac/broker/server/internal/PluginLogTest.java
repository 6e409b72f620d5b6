package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.api.LogField;
import io.dtac.broker.api.LogLevel;
import io.dtac.broker.api.LogMessage;
import io.dtac.broker.server.internal.observability.BrokerMetrics;
import io.dtac.core.internal.LogRecords;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One plugin's share of the agent's log: one line per record, bounded, at a limited rate. */
class PluginLogTest {
  private static final String FAKE_AUDIT =
      "{\"time\":\"2026-11-24T21:41:01.428Z\",\"callId\":\"forged-1\",\"caller\":\"agent\",\"decision\":\"allow\"}";

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final AtomicLong droppedMetric = new AtomicLong();
  private final BrokerMetrics metrics = new BrokerMetrics() {
    @Override
    public void logRecordsDropped(String plugin, long n) {
      assertEquals("Flood", plugin);
      droppedMetric.addAndGet(n);
    }
  };
  private final LogCapture capture = new LogCapture("dtac.plugin.Flood");

  @AfterEach
  void detach() {
    capture.close();
  }

  private PluginLog log(int perSecond, int burst) {
    return new PluginLog("Flood", new PluginLog.Rate(perSecond, burst), metrics, now::get);
  }

  private static LogMessage record(String message) {
    return LogMessage.newBuilder().setLevel(LogLevel.INFO).setMessage(message).build();
  }

  @Test
  void aRecordWithLineBreaksAndTerminalEscapesIsOneLine() {
    log(100, 100).record(LogMessage.newBuilder().setLevel(LogLevel.ERROR)
        .setMessage("ok\n" + FAKE_AUDIT + "\r\u001b[2J\u001b[31mred")
        .addFields(LogField.newBuilder().setKey("k\ney").setValue("v\r\n" + FAKE_AUDIT))
        .build());
    List<String> lines = capture.lines();
    assertEquals(List.of("ERROR ok\\n" + FAKE_AUDIT + "\\r\\x1b[2J\\x1b[31mred k\\ney=v\\r\\n" + FAKE_AUDIT), lines);
  }

  @Test
  void anOverSizeRecordIsCutToTheBoundsWithoutAStackTrace() {
    LogMessage.Builder b = LogMessage.newBuilder().setLevel(LogLevel.WARNING).setMessage("\n".repeat(1_000_000));
    for (int i = 0; i < 100; i++) {
      b.addFields(LogField.newBuilder().setKey("key" + i).setValue("v".repeat(10_000)));
    }
    log(100, 100).record(b.build());
    var event = capture.events().get(0);
    assertTrue(event.getFormattedMessage().length() <= LogRecords.MAX_MESSAGE_CHARS);
    assertTrue(event.getFormattedMessage().endsWith(" more characters)"));
    assertEquals(LogRecords.MAX_FIELDS, event.getKeyValuePairs().size());
    assertEquals("85", event.getKeyValuePairs().get(LogRecords.MAX_FIELDS - 1).value);
    assertEquals(null, event.getThrowableProxy());
  }

  @Test
  void stderrLinesAreEscapedAndCountedAgainstTheSameRate() {
    PluginLog log = log(1, 2);
    log.line("stderr", "\u001b[31m" + FAKE_AUDIT + "\r", 0);
    log.record(record("second"));
    log.line("stderr", "third: over the burst", 0);
    assertEquals(List.of("INFO [stderr] \\x1b[31m" + FAKE_AUDIT + "\\r", "INFO second"), capture.lines());
  }

  @Test
  void aLineTheReaderCutSaysHowMuchIsMissing() {
    log(10, 10).line("stderr", "x".repeat(100), 5_000);
    assertEquals("INFO [stderr] " + "x".repeat(100) + "... (5000 more characters)", capture.lines().get(0));
  }

  @Test
  void recordsOverTheRateAreDroppedAndCountedInOneWarningASecond() {
    PluginLog log = log(10, 5);
    for (int i = 0; i < 100; i++) {
      log.record(record("burst " + i));
    }
    assertEquals(5, capture.events().size(), capture.lines().toString());
    now.addAndGet(TimeUnit.SECONDS.toNanos(1));
    log.record(record("a second later"));
    List<String> lines = capture.lines();
    assertEquals("WARN 95 records dropped: plugin Flood logged more than 10 records/s (bursts of 5)",
        lines.get(5));
    assertEquals("INFO a second later", lines.get(6));
    assertEquals(95, droppedMetric.get());
  }

  @Test
  void whatIsDroppedAfterTheLastReportIsReportedWhenTheOutputEnds() {
    PluginLog log = log(1, 1);
    log.record(record("kept"));
    log.record(record("dropped 1"));
    log.line("stdout", "dropped 2", 0);
    log.flush();
    log.flush();
    assertEquals(List.of("INFO kept",
        "WARN 2 records dropped: plugin Flood logged more than 1 records/s (bursts of 1)"), capture.lines());
    assertEquals(2, droppedMetric.get());
  }

  @Test
  void aRenamedLogWritesUnderThePluginsName() {
    try (LogCapture stem = new LogCapture("dtac.plugin.flood")) {
      PluginLog log = new PluginLog("flood", PluginLog.Rate.DEFAULT, BrokerMetrics.NONE, now::get);
      log.line("stderr", "before the handshake", 0);
      log.rename("Flood");
      log.line("stderr", "after", 0);
      assertEquals(List.of("INFO [stderr] before the handshake"), stem.lines());
      assertEquals(List.of("INFO [stderr] after"), capture.lines());
    }
  }

  @Test
  void aRateBelowOneIsRefusedNamingTheSetting() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PluginLog.Rate(0, 10));
    assertTrue(e.getMessage().startsWith("pluginLogRate"), e.getMessage());
    assertFalse(e.getMessage().isEmpty());
  }
}
