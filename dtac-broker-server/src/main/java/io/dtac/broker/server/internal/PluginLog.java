package io.dtac.broker.server.internal;

import io.dtac.broker.api.LogField;
import io.dtac.broker.api.LogMessage;
import io.dtac.broker.server.internal.observability.BrokerMetrics;
import io.dtac.core.internal.LogRecords;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * What one plugin process writes to the agent's log, through SLF4J's {@code dtac.plugin.NAME}:
 * its LoggingStream records and the lines of its stderr (and of its stdout after the handshake).
 * Each becomes one log line: text escaped and cut to {@link LogRecords}' bounds. Together they get
 * a token bucket of {@link Rate#perSecond()} records a second and bursts of {@link Rate#burst()};
 * what is over it is dropped and counted, and a WARN line {@code "N records dropped: ..."} says
 * how many, at most once a second while records keep coming, and when the plugin's output ends
 * ({@link #flush}). Thread-safe: records arrive on gRPC's threads and the output readers'.
 */
public final class PluginLog {
  /** A plugin's share of the log: records per second, and how many may come at once. */
  public record Rate(int perSecond, int burst) {
    /** 200 records a second, bursts of 2,000. */
    public static final Rate DEFAULT = new Rate(200, 2_000);

    /** @throws IllegalArgumentException naming the setting, unless both are at least 1 */
    public Rate {
      if (perSecond < 1 || burst < 1) {
        throw new IllegalArgumentException(
            "pluginLogRate needs at least 1 record per second and a burst of at least 1, got "
                + perSecond + "/s and " + burst);
      }
    }
  }

  private static final long REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Rate rate;
  private final BrokerMetrics metrics;
  private final LongSupplier nanoTime;
  private volatile String name;
  private volatile Logger log;
  private double tokens;
  private long refilledAt;
  private long dropped;
  private long reportedAt;

  /**
   * @param name the plugin's name, or its file's stem until it has announced one
   * @param metrics told of every dropped record, by plugin
   * @param nanoTime the clock ({@code System::nanoTime} but in tests)
   */
  public PluginLog(String name, Rate rate, BrokerMetrics metrics, LongSupplier nanoTime) {
    this.rate = rate;
    this.metrics = metrics;
    this.nanoTime = nanoTime;
    this.tokens = rate.burst();
    this.refilledAt = nanoTime.getAsLong();
    this.reportedAt = refilledAt;
    rename(name);
  }

  /** Logs under {@code dtac.plugin.NAME} from now on. */
  public void rename(String pluginName) {
    this.name = pluginName;
    this.log = LoggerFactory.getLogger("dtac.plugin." + pluginName);
  }

  /** The plugin's logger, for the broker's own messages about it (not rate-limited). */
  Logger logger() {
    return log;
  }

  /**
   * Logs a LoggingStream record at its level (FATAL as ERROR, an unknown level as INFO), its fields
   * as SLF4J key/values, if the plugin's rate allows.
   */
  public void record(LogMessage record) {
    if (!admit()) {
      return;
    }
    LogMessage shown = LogRecords.bound(record, LogRecords::escape);
    LoggingEventBuilder event = log.atLevel(level(record));
    for (LogField f : shown.getFieldsList()) {
      event = event.addKeyValue(f.getKey(), f.getValue());
    }
    event.log(shown.getMessage());
  }

  /**
   * Logs one line the plugin wrote to {@code stream} at INFO as {@code [stream] text}, if the
   * plugin's rate allows.
   *
   * @param cut characters the reader left out at the end of an over-long line
   */
  public void line(String stream, CharSequence text, long cut) {
    if (admit()) {
      log.info("[{}] {}", stream, LogRecords.escape(text, LogRecords.MAX_MESSAGE_CHARS, cut));
    }
  }

  /** Reports the records dropped and not yet reported, if any: the plugin's output has ended. */
  public void flush() {
    long n;
    synchronized (this) {
      n = takeDropped(nanoTime.getAsLong());
    }
    report(n);
  }

  /** Takes a token, or counts a drop; reports drops due for a report. */
  private boolean admit() {
    boolean admitted;
    long due = 0;
    synchronized (this) {
      long now = nanoTime.getAsLong();
      tokens = Math.min(rate.burst(), tokens + (now - refilledAt) * rate.perSecond() / 1e9);
      refilledAt = now;
      admitted = tokens >= 1;
      if (admitted) {
        tokens -= 1;
      } else {
        dropped++;
      }
      if (dropped > 0 && now - reportedAt >= REPORT_INTERVAL_NANOS) {
        due = takeDropped(now);
      }
    }
    report(due);
    return admitted;
  }

  private long takeDropped(long now) {
    long n = dropped;
    dropped = 0;
    reportedAt = now;
    return n;
  }

  private void report(long n) {
    if (n > 0) {
      log.warn("{} records dropped: plugin {} logged more than {} records/s (bursts of {})",
          n, name, rate.perSecond(), rate.burst());
      metrics.logRecordsDropped(name, n);
    }
  }

  private static Level level(LogMessage record) {
    switch (record.getLevel()) {
      case DEBUG:
        return Level.DEBUG;
      case WARNING:
        return Level.WARN;
      case ERROR:
      case FATAL:
        return Level.ERROR;
      case INFO:
      default:
        return Level.INFO;
    }
  }
}
