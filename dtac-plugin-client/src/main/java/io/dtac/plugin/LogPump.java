package io.dtac.plugin;

import io.dtac.broker.api.LogMessage;
import io.dtac.core.internal.LogRecords;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Carries log records from {@link PluginBase#log} to the agent's LoggingStream, at the pace the
 * agent reads them: a record is handed to gRPC only while the stream {@link
 * ServerCallStreamObserver#isReady() is ready}, so gRPC's own buffer stays at its small
 * threshold. Records wait in a buffer of at most {@value #CAPACITY} records and {@value
 * #CAPACITY_BYTES} bytes (before the agent opens the stream, while it is closed, or while the
 * agent reads slowly); when it is full the oldest are dropped, and a record saying how many goes
 * first once there is room. So logging never blocks an endpoint and never grows the heap without
 * bound. Thread-safe: {@code offer} runs on endpoint threads, {@code drain} also on gRPC's.
 */
final class LogPump {
  static final int CAPACITY = 10_000;
  static final long CAPACITY_BYTES = 4L * 1024 * 1024;

  private final Deque<LogMessage> pending = new ArrayDeque<>();
  private long pendingBytes;
  private ServerCallStreamObserver<LogMessage> sink;
  private long dropped;
  private long sent;

  /** Queues {@code message}, cut to {@link LogRecords}' bounds, and sends what the stream takes. */
  synchronized void offer(LogMessage message) {
    LogMessage record = LogRecords.bound(message, LogRecords::truncate);
    long size = record.getSerializedSize();
    while (!pending.isEmpty() && (pending.size() >= CAPACITY || pendingBytes + size > CAPACITY_BYTES)) {
      pendingBytes -= pending.removeFirst().getSerializedSize();
      dropped++;
    }
    pending.addLast(record);
    pendingBytes += size;
    drain();
  }

  /** Makes {@code observer} the destination; earlier records are sent to it first. */
  synchronized void attach(ServerCallStreamObserver<LogMessage> observer) {
    if (sink != null) {
      try {
        sink.onCompleted();
      } catch (RuntimeException ignored) {
        // the old stream was already cancelled
      }
    }
    sink = observer;
    observer.setOnCancelHandler(() -> detach(observer));
    observer.setOnReadyHandler(() -> ready(observer));
    drain();
  }

  /** Records waiting to be sent, for tests. */
  synchronized int pending() {
    return pending.size();
  }

  /** Records handed to gRPC so far (dropped-record reports included), for tests. */
  synchronized long sent() {
    return sent;
  }

  /** Records dropped since the last report, for tests. */
  synchronized long dropped() {
    return dropped;
  }

  private synchronized void ready(ServerCallStreamObserver<LogMessage> observer) {
    if (sink == observer) {
      drain();
    }
  }

  private synchronized void detach(ServerCallStreamObserver<LogMessage> observer) {
    if (sink == observer) {
      sink = null;
    }
  }

  /** Ends the stream, if open: the plugin is shutting down. */
  synchronized void close() {
    if (sink != null) {
      try {
        sink.onCompleted();
      } catch (RuntimeException ignored) {
        // the stream was already cancelled by the agent
      }
      sink = null;
    }
  }

  private void drain() {
    while (sink != null && sink.isReady() && (dropped > 0 || !pending.isEmpty())) {
      if (dropped > 0) {
        if (send(droppedReport(dropped))) {
          dropped = 0;
        }
        continue;
      }
      LogMessage next = pending.removeFirst();
      pendingBytes -= next.getSerializedSize();
      if (!send(next)) {
        pending.addFirst(next);
        pendingBytes += next.getSerializedSize();
      }
    }
  }

  private static LogMessage droppedReport(long n) {
    return LogMessage.newBuilder()
        .setLevelValue(LogLevel.WARNING.ordinal())
        .setMessage(n + " log records dropped in the plugin: its buffer (" + CAPACITY + " records, "
            + CAPACITY_BYTES / (1024 * 1024) + " MiB) was full, because the agent's log stream was"
            + " not open or read more slowly than the plugin logged")
        .build();
  }

  /** Whether the stream took {@code message}; if not, the stream is gone. */
  private boolean send(LogMessage message) {
    try {
      sink.onNext(message);
      sent++;
      return true;
    } catch (RuntimeException e) {
      sink = null;
      return false;
    }
  }
}
