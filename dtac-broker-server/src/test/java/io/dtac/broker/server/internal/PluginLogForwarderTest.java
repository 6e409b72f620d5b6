package io.dtac.broker.server.internal;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.api.LogLevel;
import io.dtac.broker.api.LogMessage;
import io.dtac.broker.api.LoggingArgs;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.server.internal.observability.BrokerMetrics;
import io.dtac.core.internal.LogRecords;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The broker's end of a LoggingStream, against plugins that do not use the SDK, over real gRPC on
 * loopback: records arrive in order, and one over the wire bound ends the stream with one line.
 */
class PluginLogForwarderTest {
  private Server server;
  private ManagedChannel channel;
  private final LogCapture capture = new LogCapture("dtac.plugin.Hostile");

  @AfterEach
  void stop() throws Exception {
    capture.close();
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private void plugin(int records, int hugeAt) throws Exception {
    server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(new PluginServiceGrpc.PluginServiceImplBase() {
          @Override
          public void loggingStream(LoggingArgs request, StreamObserver<LogMessage> out) {
            for (int i = 0; i < records; i++) {
              String message = i == hugeAt ? "h".repeat(LogRecords.MAX_RECORD_BYTES * 2) : "record " + i;
              out.onNext(LogMessage.newBuilder().setLevel(LogLevel.INFO).setMessage(message).build());
            }
            out.onCompleted();
          }
        })
        .build()
        .start();
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(), InsecureChannelCredentials.create())
        .build();
    PluginLogForwarder.open(channel, new PluginLog("Hostile", new PluginLog.Rate(10_000, 10_000),
        BrokerMetrics.NONE, System::nanoTime));
  }

  @Test
  void recordsArriveInOrderOneAtATime() throws Exception {
    plugin(5_000, -1);
    await().atMost(Duration.ofSeconds(30)).until(() -> capture.events().size() == 5_000);
    var events = capture.events();
    for (int i = 0; i < 5_000; i++) {
      assertEquals("record " + i, events.get(i).getFormattedMessage());
    }
  }

  @Test
  void aRecordOverTheWireBoundEndsTheStreamWithOneLineAndNoStackTrace() throws Exception {
    plugin(10, 3);
    await().atMost(Duration.ofSeconds(30)).until(() -> capture.lines().stream()
        .anyMatch(l -> l.startsWith("WARN log stream ended")));
    var lines = capture.lines();
    assertEquals(4, lines.size(), lines.toString());
    assertEquals("INFO record 2", lines.get(2));
    assertTrue(lines.get(3).contains("RESOURCE_EXHAUSTED"), lines.get(3));
    assertTrue(lines.get(3).length() < 1_000, lines.get(3));
    assertNull(capture.events().get(3).getThrowableProxy());
  }
}
