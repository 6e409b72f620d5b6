package io.dtac.plugin;

import io.dtac.broker.api.LogMessage;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Carries log records from {@link PluginBase#log} to the agent's LoggingStream. Records logged
 * before the agent opens the stream (or while it is closed) wait in a bounded buffer; when it
 * is full the oldest records are dropped, so logging never blocks an endpoint.
 */
final class LogPump {
  static final int CAPACITY = 10_000;

  private final Deque<LogMessage> pending = new ArrayDeque<>();
  private ServerCallStreamObserver<LogMessage> sink;
  private long dropped;

  synchronized void offer(LogMessage message) {
    if (sink != null) {
      send(message);
      return;
    }
    if (pending.size() == CAPACITY) {
      pending.removeFirst();
      dropped++;
    }
    pending.addLast(message);
  }

  /** Makes {@code observer} the destination; earlier records are flushed to it first. */
  synchronized void attach(ServerCallStreamObserver<LogMessage> observer) {
    if (sink != null) {
      sink.onCompleted();
    }
    sink = observer;
    observer.setOnCancelHandler(() -> detach(observer));
    if (dropped > 0) {
      send(
          LogMessage.newBuilder()
              .setLevelValue(LogLevel.WARNING.ordinal())
              .setMessage(dropped + " log records dropped before the agent's log stream opened")
              .build());
      dropped = 0;
    }
    while (sink != null && !pending.isEmpty()) {
      send(pending.removeFirst());
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

  private void send(LogMessage message) {
    try {
      sink.onNext(message);
    } catch (RuntimeException e) {
      sink = null;
      pending.addFirst(message);
    }
  }
}
