package io.dtac.plugin;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.api.LogMessage;
import io.dtac.broker.api.LoggingArgs;
import io.dtac.broker.api.PluginServiceGrpc;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * LogPump against an agent that reads slowly, over real gRPC on loopback (Netty's HTTP/2 flow
 * control, as between a plugin and the agent): the plugin keeps a bounded buffer, its heap does
 * not grow with what it logs, and every record is either delivered or counted as dropped.
 */
class LogPumpFlowControlTest {
  private static final Pattern DROPPED = Pattern.compile("^(\\d+) log records dropped in the plugin");
  private static final int RECORDS = 200_000;
  private static final String TEXT = "r".repeat(4000);

  private final LogPump pump = new LogPump();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void serve() throws Exception {
    server = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
        .addService(new PluginServiceGrpc.PluginServiceImplBase() {
          @Override
          public void loggingStream(LoggingArgs request, StreamObserver<LogMessage> out) {
            pump.attach((ServerCallStreamObserver<LogMessage>) out);
          }
        })
        .build()
        .start();
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.getPort(), InsecureChannelCredentials.create())
        .build();
  }

  @AfterEach
  void stop() throws Exception {
    pump.close();
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
  }

  @Test
  void aSlowAgentMakesThePluginBufferAtMostItsBoundAndCountWhatItDrops() throws Exception {
    SlowReader agent = new SlowReader();
    PluginServiceGrpc.newStub(channel).loggingStream(LoggingArgs.getDefaultInstance(), agent);
    agent.opened.get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> pump.pending() == 0);

    long heapBefore = usedHeapAfterGc();
    for (int i = 0; i < RECORDS; i++) {
      pump.offer(record(i + " " + TEXT));
      assertTrue(pump.pending() <= LogPump.CAPACITY, "pending " + pump.pending());
    }
    // What gRPC holds for the agent is bounded by HTTP/2 flow control (the agent's window, ~1 MiB,
    // and gRPC's 32 KiB ready threshold): a few hundred of these 4 KB records, not all of them.
    long inFlight = pump.sent() - agent.received.size();
    assertTrue(inFlight < 1_000, inFlight + " records handed to gRPC that the agent has not read");
    long growth = usedHeapAfterGc() - heapBefore;
    // ~800 MB were logged; the buffer holds at most 4 MiB of records, gRPC at most its window.
    assertTrue(growth < 64L * 1024 * 1024, "the heap grew by " + growth / (1024 * 1024) + " MiB");
    assertTrue(pump.dropped() > RECORDS / 2, "dropped " + pump.dropped());

    pump.offer(record("last"));
    agent.call.request(Integer.MAX_VALUE);
    await().atMost(Duration.ofSeconds(60)).until(() -> agent.received.stream()
        .anyMatch(m -> m.getMessage().equals("last")));

    long delivered = 0;
    long reportedDropped = 0;
    for (LogMessage m : agent.received) {
      Matcher dropped = DROPPED.matcher(m.getMessage());
      if (dropped.find()) {
        reportedDropped += Long.parseLong(dropped.group(1));
      } else {
        delivered++;
      }
    }
    assertEquals(RECORDS + 1, delivered + reportedDropped,
        "delivered " + delivered + " + reported dropped " + reportedDropped);
    assertTrue(reportedDropped > 0);
  }

  @Test
  void recordsLoggedBeforeTheStreamOpensWaitInTheBoundedBuffer() throws Exception {
    for (int i = 0; i < LogPump.CAPACITY + 500; i++) {
      pump.offer(record("early " + i));
    }
    assertEquals(LogPump.CAPACITY, pump.pending());
    SlowReader agent = new SlowReader();
    PluginServiceGrpc.newStub(channel).loggingStream(LoggingArgs.getDefaultInstance(), agent);
    agent.opened.get(10, TimeUnit.SECONDS);
    agent.call.request(Integer.MAX_VALUE);
    await().atMost(Duration.ofSeconds(30)).until(() -> agent.received.size() == LogPump.CAPACITY + 1);
    assertTrue(agent.received.get(0).getMessage().startsWith("500 log records dropped in the plugin"),
        agent.received.get(0).getMessage());
    assertEquals("early 500", agent.received.get(1).getMessage());
  }

  private static LogMessage record(String message) {
    return LogMessage.newBuilder().setLevelValue(LogLevel.INFO.ordinal()).setMessage(message).build();
  }

  private static long usedHeapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  /** An agent that reads nothing until told to: flow control is all that stops the plugin. */
  private static final class SlowReader implements ClientResponseObserver<LoggingArgs, LogMessage> {
    final List<LogMessage> received = new CopyOnWriteArrayList<>();
    final CompletableFuture<Void> opened = new CompletableFuture<>();
    volatile ClientCallStreamObserver<LoggingArgs> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<LoggingArgs> requestStream) {
      requestStream.disableAutoRequestWithInitial(0);
      call = requestStream;
      opened.complete(null);
    }

    @Override
    public void onNext(LogMessage value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
