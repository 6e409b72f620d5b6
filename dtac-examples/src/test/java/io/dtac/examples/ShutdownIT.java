package io.dtac.examples;

import io.dtac.core.Action;
import io.dtac.core.Response;
import io.dtac.core.PluginCallException;
import io.dtac.core.StatusCode;

import static io.dtac.examples.Fixtures.alive;
import static io.dtac.examples.Fixtures.json;
import static io.dtac.examples.Fixtures.params;
import static io.dtac.examples.Fixtures.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shutting the broker down gracefully: calls in flight finish, new ones are refused, no process is left. */
class ShutdownIT {
  @TempDir Path tmp;

  @Test
  void closeLetsCallsInFlightFinishRefusesNewOnesThenStopsEveryProcessAndItsChildren() throws Exception {
    Path plugins = ExamplePlugins.copyTo(tmp);
    Fixtures.testPlugin(plugins, "Alpha");
    // A plugin that ignores SIGTERM (so do its children, which inherit that) and has a child
    // process of its own: stopping it takes SIGKILL for the whole tree.
    ExamplePlugins.script(plugins, "stubborn.plugin", String.join("\n",
        "trap '' TERM",
        "sleep 600 &",
        Fixtures.javaCommand(io.dtac.examples.reliability.TestPlugin.class.getName(), "Stubborn"),
        "while :; do sleep 1; done"));
    List<String> stopped = new ArrayList<>();
    PluginBroker broker = PluginBroker.builder()
        .pluginDirectory(plugins)
        .handshakeTimeout(Duration.ofSeconds(30))
        .stopTimeout(Duration.ofSeconds(1))
        .tls(false) // so that this test can ask the broker's health service without a client certificate
        .listener((p, from) -> {
          if (p.state() == PluginState.STOPPED) {
            synchronized (stopped) {
              stopped.add(p.name());
            }
          }
        })
        .build()
        .start();
    List<Long> processes = new ArrayList<>();
    for (PluginInfo p : broker.plugins()) {
      assertEquals(PluginState.RUNNING, p.state(), p.toString());
      long pid = p.pid().getAsLong();
      processes.add(pid);
      ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> processes.add(d.pid())));
    }
    assertTrue(processes.size() >= 4, "two plugins, the stubborn one with two children: " + processes);

    // In flight (admitted when callAsync returns): Alpha sleeps, then calls Stubborn; that
    // nested call arrives during the shutdown.
    CompletableFuture<Response> inFlight = broker.callAsync("Alpha", "relay", Action.CREATE,
        json(Map.of("path", List.of("Stubborn"), "method", "echo", "sleepMs", 1500, "params", Map.of("nonce", "late"))));
    ManagedChannel toBroker = NettyChannelBuilder.forTarget(broker.brokerAddress()).usePlaintext().build();
    HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(toBroker);
    assertEquals(HealthCheckResponse.ServingStatus.SERVING,
        health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
    CompletableFuture<Void> closing = CompletableFuture.runAsync(broker::close);
    Awaitility.await("new calls refused").atMost(Duration.ofSeconds(10)).until(() -> {
      try {
        broker.call("Stubborn", "echo", Action.READ, params("nonce", "new"));
        return false;
      } catch (PluginCallException e) {
        assertEquals(StatusCode.UNAVAILABLE, e.code());
        assertEquals("the broker is shutting down and accepts no new calls", e.description());
        return true;
      }
    });
    assertEquals(HealthCheckResponse.ServingStatus.NOT_SERVING,
        health.check(HealthCheckRequest.getDefaultInstance()).getStatus(), "the broker reports it is shutting down");
    toBroker.shutdownNow();
    assertEquals("late", value(inFlight.get(30, TimeUnit.SECONDS)).get("nonce").asText(),
        "the call in flight, and the nested call it made during shutdown, complete");
    closing.get(60, TimeUnit.SECONDS);
    for (long pid : processes) {
      assertFalse(alive(pid), "process " + pid + " outlived close()");
    }
    synchronized (stopped) {
      assertEquals(List.of("Alpha", "Stubborn"), stopped.stream().sorted().collect(Collectors.toList()));
    }
    broker.close();
  }
}
