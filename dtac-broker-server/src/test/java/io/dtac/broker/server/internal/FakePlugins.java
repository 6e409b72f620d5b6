package io.dtac.broker.server.internal;

import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.EndpointResponseMessage;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.api.PluginServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plugins served in-process for fast tests of policy, audit and routing: each echoes the call it
 * receives (its method key, and the metadata the broker stamped) in the response's metadata.
 */
final class FakePlugins implements AutoCloseable {
  final PluginRegistry registry = new PluginRegistry(List.of());
  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

  /** Adds a RUNNING plugin {@code name} with endpoints given as "action:path" keys. */
  LoadedPlugin add(String name, String... endpointKeys) throws IOException {
    String serverName = InProcessServerBuilder.generateName();
    servers.add(
        InProcessServerBuilder.forName(serverName)
            .directExecutor()
            .addService(new Echo(name, calls.computeIfAbsent(name, n -> new AtomicInteger())))
            .build()
            .start());
    ManagedChannel channel = InProcessChannelBuilder.forName(serverName).directExecutor().build();
    channels.add(channel);
    LoadedPlugin plugin = new LoadedPlugin(name, name.toLowerCase(), null);
    registry.add(plugin);
    registry.connected(plugin, null, channel);
    List<PluginEndpoint> endpoints = new ArrayList<>();
    for (String key : endpointKeys) {
      String[] parts = key.split(":", 2);
      endpoints.add(PluginEndpoint.newBuilder().setAction(parts[0]).setPath(parts[1]).build());
    }
    registry.running(plugin, endpoints, plugin.rootPath());
    return plugin;
  }

  /** How many calls plugin {@code name} has received. */
  int calls(String name) {
    AtomicInteger n = calls.get(name);
    return n == null ? 0 : n.get();
  }

  @Override
  public void close() {
    try {
      closeAll();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeAll() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static final class Echo extends PluginServiceGrpc.PluginServiceImplBase {
    private final String name;
    private final AtomicInteger calls;

    Echo(String name, AtomicInteger calls) {
      this.name = name;
      this.calls = calls;
    }

    @Override
    public void call(EndpointRequestMessage request, StreamObserver<EndpointResponseMessage> out) {
      calls.incrementAndGet();
      EndpointResponse.Builder r =
          EndpointResponse.newBuilder()
              .putAllMetadata(request.getRequest().getMetadataMap())
              .putMetadata("served-by", name)
              .putMetadata("method-key", request.getMethod())
              .setValue(request.getRequest().getBody());
      out.onNext(EndpointResponseMessage.newBuilder().setResponse(r).build());
      out.onCompleted();
    }
  }
}
