package io.dtac.broker.server.internal;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/** The events one logger gets while open, read from Logback (the tests' SLF4J provider). */
final class LogCapture implements AutoCloseable {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  LogCapture(String loggerName) {
    logger = (Logger) LoggerFactory.getLogger(loggerName);
    appender.setContext(logger.getLoggerContext());
    appender.start();
    logger.addAppender(appender);
  }

  List<ILoggingEvent> events() {
    synchronized (appender.list) {
      return List.copyOf(appender.list);
    }
  }

  /** Each event as its message and key/values would show in one line. */
  List<String> lines() {
    return events().stream().map(LogCapture::line).collect(Collectors.toList());
  }

  static String line(ILoggingEvent e) {
    StringBuilder b = new StringBuilder(e.getLevel() + " " + e.getFormattedMessage());
    List<KeyValuePair> kvs = e.getKeyValuePairs();
    if (kvs != null) {
      for (KeyValuePair kv : kvs) {
        b.append(' ').append(kv.key).append('=').append(kv.value);
      }
    }
    return b.toString();
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
