package io.dtac.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Benchmark drivers log only warnings (the broker's INFO lines are not what they measure). */
public final class QuietLogs {
  private QuietLogs() {}

  /** Sets the root level to WARN, or to {@code -Ddtac.bench.logLevel=LEVEL}. */
  public static void apply() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(Level.toLevel(System.getProperty("dtac.bench.logLevel", "WARN"), Level.WARN));
  }
}
