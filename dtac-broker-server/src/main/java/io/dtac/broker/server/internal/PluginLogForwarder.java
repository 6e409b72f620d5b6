package io.dtac.broker.server.internal;

import io.dtac.broker.api.LogField;
import io.dtac.broker.api.LogMessage;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * Receives a plugin's LoggingStream and writes each record to SLF4J, to the logger
 * {@code dtac.plugin.NAME}, at the record's level (FATAL as ERROR), with its fields as key/values.
 */
final class PluginLogForwarder implements StreamObserver<LogMessage> {
  private final Logger log;

  PluginLogForwarder(String pluginName) {
    this.log = LoggerFactory.getLogger("dtac.plugin." + pluginName);
  }

  @Override
  public void onNext(LogMessage record) {
    LoggingEventBuilder event = log.atLevel(level(record));
    for (LogField f : record.getFieldsList()) {
      event = event.addKeyValue(f.getKey(), f.getValue());
    }
    event.log(record.getMessage());
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

  @Override
  public void onError(Throwable t) {
    Status s = Status.fromThrowable(t);
    if (s.getCode() != Status.Code.CANCELLED && s.getCode() != Status.Code.UNAVAILABLE) {
      log.warn("log stream ended: {}", s);
    }
  }

  @Override
  public void onCompleted() {}
}
