package io.dtac.plugin;

import io.dtac.core.Action;
import io.dtac.core.Response;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.api.RegisterRequest;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With a worker executor (as the plugin host runs it), blocking endpoints and Register run on the
 * worker with the call's context, and non-blocking endpoints run where the call arrived.
 */
class EndpointThreadingTest {
  private ExecutorService worker;
  private Server server;
  private ManagedChannel channel;
  private PluginServiceGrpc.PluginServiceBlockingStub stub;

  static final class Threads extends PluginBase {
    volatile String registeredOn;
    final java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();

    Threads() {
      super("Threads", "threads");
      endpoint(Endpoint.builder(Action.READ, "fast").nonBlocking()
          .handler(r -> Response.text(Thread.currentThread().getName())).build());
      endpoint(Action.READ, "block", "waits for the test", r -> {
        running.incrementAndGet();
        release.await(30, TimeUnit.SECONDS);
        return Response.text("released");
      });
      endpoint(Action.READ, "slow", "reports its thread and deadline",
          r -> Response.json(Map.of(
              "thread", Thread.currentThread().getName(),
              "deadline", Context.current().getDeadline() != null)));
    }

    @Override
    protected void onRegister(com.fasterxml.jackson.databind.JsonNode config) {
      registeredOn = Thread.currentThread().getName();
    }
  }

  private final Threads plugin = new Threads();

  @BeforeEach
  void setUp() throws Exception {
    worker = Executors.newCachedThreadPool(r -> new Thread(r, "worker-thread"));
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new PluginServiceHandler(plugin, worker)).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = PluginServiceGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void tearDown() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    worker.shutdownNow();
    assertTrue(worker.awaitTermination(5, TimeUnit.SECONDS));
  }

  @Test
  void theHostsPoolRunsAtMostItsThreadsQueuesItsQueueAndRefusesTheRestAtOnce() throws Exception {
    java.util.concurrent.ThreadPoolExecutor bounded = PluginHost.boundedWorker("Flood");
    String name = InProcessServerBuilder.generateName();
    Server flooded = InProcessServerBuilder.forName(name).directExecutor()
        .addService(new PluginServiceHandler(plugin, bounded)).build().start();
    ManagedChannel ch = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      int capacity = PluginHost.MAX_ENDPOINT_THREADS + PluginHost.MAX_QUEUED_CALLS;
      java.util.List<com.google.common.util.concurrent.ListenableFuture<io.dtac.broker.api.EndpointResponseMessage>> calls =
          new java.util.ArrayList<>();
      for (int i = 0; i < capacity + 10; i++) {
        calls.add(PluginServiceGrpc.newFutureStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS)
            .call(EndpointRequestMessage.newBuilder().setMethod("read:block").build()));
      }
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
          .until(() -> plugin.running.get() == PluginHost.MAX_ENDPOINT_THREADS);
      for (int i = capacity; i < capacity + 10; i++) {
        java.util.concurrent.ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
            java.util.concurrent.ExecutionException.class, calls.get(i)::get);
        io.grpc.Status status = io.grpc.Status.fromThrowable(e.getCause());
        assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED, status.getCode());
        assertTrue(status.getDescription().contains("Threads is busy"), status.getDescription());
      }
      assertEquals(PluginHost.MAX_ENDPOINT_THREADS, bounded.getPoolSize(), "no thread beyond the bound");
      plugin.release.countDown();
      for (int i = 0; i < capacity; i++) {
        assertEquals("released", calls.get(i).get(30, TimeUnit.SECONDS).getResponse().getValue().toStringUtf8());
      }
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      flooded.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      bounded.shutdownNow();
      assertTrue(bounded.awaitTermination(5, TimeUnit.SECONDS));
    }
  }

  private String call(String path) {
    return stub.withDeadlineAfter(10, TimeUnit.SECONDS)
        .call(EndpointRequestMessage.newBuilder().setMethod("read:" + path).build())
        .getResponse().getValue().toStringUtf8();
  }

  @Test
  void aNonBlockingEndpointRunsWhereTheCallArrives() {
    assertFalse(call("fast").startsWith("worker-"), "ran on " + call("fast"));
  }

  @Test
  void aBlockingEndpointRunsOnTheWorkerWithTheCallsDeadline() {
    assertTrue(call("slow").contains("\"thread\":\"worker-thread\""), call("slow"));
    assertTrue(call("slow").contains("\"deadline\":true"), call("slow"));
  }

  @Test
  void registerRunsOnTheWorker() {
    stub.register(RegisterRequest.newBuilder().setConfig("{}").build());
    assertEquals("worker-thread", plugin.registeredOn);
  }
}
