package io.dtac.broker.server.internal;

import io.dtac.broker.api.LogMessage;
import io.dtac.broker.api.LoggingArgs;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.core.internal.LogRecords;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

/**
 * Reads a plugin's LoggingStream into its {@link PluginLog}, one record at a time: the next is
 * requested only once the previous is logged (or dropped), so a plugin that logs faster than the
 * agent writes meets HTTP/2 flow control rather than a growing buffer in the broker. A record over
 * {@value LogRecords#MAX_RECORD_BYTES} bytes (the SDK never sends one) ends the stream with one
 * WARN line; the plugin's stderr still reaches the log.
 */
final class PluginLogForwarder implements ClientResponseObserver<LoggingArgs, LogMessage> {
  private final PluginLog log;
  private volatile ClientCallStreamObserver<LoggingArgs> call;

  private PluginLogForwarder(PluginLog log) {
    this.log = log;
  }

  /** Opens the LoggingStream of the plugin behind {@code channel} into {@code log}. */
  static void open(Channel channel, PluginLog log) {
    PluginServiceGrpc.newStub(channel)
        .withMaxInboundMessageSize(LogRecords.MAX_RECORD_BYTES)
        .loggingStream(LoggingArgs.getDefaultInstance(), new PluginLogForwarder(log));
  }

  @Override
  public void beforeStart(ClientCallStreamObserver<LoggingArgs> requestStream) {
    call = requestStream;
    requestStream.disableAutoRequestWithInitial(1);
  }

  @Override
  public void onNext(LogMessage record) {
    try {
      log.record(record);
    } finally {
      call.request(1);
    }
  }

  @Override
  public void onError(Throwable t) {
    Status s = Status.fromThrowable(t);
    if (s.getCode() != Status.Code.CANCELLED && s.getCode() != Status.Code.UNAVAILABLE) {
      log.logger().warn("log stream ended, its later records are lost (stderr is still logged): {}",
          LogRecords.escape(s.getCode() + ": " + s.getDescription(), LogRecords.MAX_MESSAGE_CHARS));
    }
    log.flush();
  }

  @Override
  public void onCompleted() {
    log.flush();
  }
}
