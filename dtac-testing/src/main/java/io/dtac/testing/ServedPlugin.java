package io.dtac.testing;

import io.dtac.broker.api.LogField;
import io.dtac.broker.api.LogMessage;
import io.dtac.broker.api.LoggingArgs;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.api.RegisterRequest;
import io.dtac.broker.api.RegisterResponse;
import io.dtac.core.EndpointInfo;
import io.dtac.core.internal.Protos;
import io.dtac.plugin.Endpoint;
import io.dtac.plugin.LogLevel;
import io.dtac.plugin.PluginBase;
import io.dtac.plugin.internal.BrokerChannels;
import io.dtac.plugin.internal.InProcessPlugins;
import io.grpc.ServerServiceDefinition;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * One plugin served in process by the SDK's own plugin service, as {@code PluginHost} serves it
 * (Register and blocking endpoints on a worker thread, non-blocking ones on the calling thread),
 * without sockets and without {@code System.exit}; and, for a started plugin, its own in-process
 * broker address, on which the broker knows it as the caller (as the kernel would name it).
 */
final class ServedPlugin implements AutoCloseable {
  /** Threads of the kit's workers start with this. */
  static final String THREAD_PREFIX = "dtac-testing-";
  private static final AtomicLong SERVERS = new AtomicLong();
  private static final long REGISTER_TIMEOUT_SECONDS = 30;

  private final PluginBase plugin;
  private final ExecutorService worker;
  /** The worker's threads: a terminated pool's last thread may still be exiting, so close() joins them. */
  private final java.util.Queue<Thread> workerThreads = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final Server server;
  private final ManagedChannel channel;
  private final List<PluginLogRecord> logs = new CopyOnWriteArrayList<>();
  private volatile List<EndpointInfo> registered;
  private volatile boolean stopped;
  private Server brokerServer;
  private Runnable unroute;

  private ServedPlugin(PluginBase plugin) {
    this.plugin = plugin;
    this.worker = Executors.newCachedThreadPool(threads(THREAD_PREFIX + plugin.name() + "-", workerThreads));
    String name = THREAD_PREFIX + "plugin-" + SERVERS.incrementAndGet() + "-" + plugin.name();
    try {
      this.server = InProcessServerBuilder.forName(name).directExecutor()
          .addService(InProcessPlugins.service(plugin, worker)).build().start();
    } catch (IOException e) {
      worker.shutdownNow();
      throw new UncheckedIOException(e);
    }
    this.channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  /** Serves {@code plugin}; {@link #close()} stops it. */
  static ServedPlugin serve(PluginBase plugin) {
    return new ServedPlugin(plugin);
  }

  String name() {
    return plugin.name();
  }

  PluginBase plugin() {
    return plugin;
  }

  PluginServiceGrpc.PluginServiceFutureStub stub() {
    return PluginServiceGrpc.newFutureStub(channel);
  }

  /**
   * Serves {@code broker} as this plugin's broker, at an in-process address its real {@code
   * BrokerClient} reaches.
   *
   * @return the broker address to hand over in Register
   */
  synchronized String attachBroker(ServerServiceDefinition broker) {
    String name = THREAD_PREFIX + "broker-" + SERVERS.incrementAndGet() + "-" + plugin.name();
    try {
      brokerServer = InProcessServerBuilder.forName(name).directExecutor().addService(broker).build().start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String address = BrokerChannels.PREFIX + name;
    unroute = BrokerChannels.route(address, () -> InProcessChannelBuilder.forName(name).directExecutor());
    return address;
  }

  /** Opens the plugin's LoggingStream as the broker does before Register; records collect in {@link #logs()}. */
  void openLogs() {
    PluginServiceGrpc.newStub(channel).loggingStream(LoggingArgs.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(LogMessage m) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (LogField f : m.getFieldsList()) {
          fields.put(f.getKey(), f.getValue());
        }
        LogLevel[] levels = LogLevel.values();
        int level = Math.min(Math.max(m.getLevelValue(), 0), levels.length - 1);
        logs.add(new PluginLogRecord(levels[level], m.getMessage(), fields));
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    });
  }

  /**
   * Registers the plugin as the broker does: its config, {@code default_secure} true (the broker's
   * default) and the broker address; keeps the endpoints it answers.
   *
   * @throws io.grpc.StatusRuntimeException if the plugin refuses
   */
  void register(String configJson, String brokerAddress) {
    RegisterResponse r = PluginServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(REGISTER_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .register(RegisterRequest.newBuilder().setConfig(configJson).setDefaultSecure(true)
            .setBrokerAddress(brokerAddress).build());
    registered = Protos.endpoints(r.getEndpointsList());
  }

  /** What Register answered; for a stubbed plugin (never registered), the endpoints stubbed so far. */
  List<EndpointInfo> endpoints() {
    List<EndpointInfo> r = registered;
    if (r != null) {
      return r;
    }
    return plugin.endpoints().stream()
        .map(e -> new EndpointInfo(e.action(), e.path(), e.description(), e.secure() == null || e.secure(),
            e.authGroup(), e.bodySchema(), e.outputSchema()))
        .collect(Collectors.toUnmodifiableList());
  }

  boolean hasEndpoint(String methodKey) {
    List<EndpointInfo> r = registered;
    if (r != null) {
      return r.stream().anyMatch(e -> e.methodKey().equals(methodKey));
    }
    return plugin.endpoints().stream().map(Endpoint::methodKey).anyMatch(methodKey::equals);
  }

  /** "read:hello, create:x" or "(none)", as the broker lists them. */
  String endpointKeys() {
    String keys = endpoints().stream().map(EndpointInfo::methodKey).collect(Collectors.joining(", "));
    return keys.isEmpty() ? "(none)" : keys;
  }

  List<PluginLogRecord> logs() {
    return List.copyOf(logs);
  }

  boolean stopped() {
    return stopped;
  }

  /** The answers of calls in flight to this plugin, failed by {@link #close()} if still open. */
  private final java.util.Set<com.google.common.util.concurrent.SettableFuture<?>> inFlight =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Tracks {@code answer} until it completes: {@link #close()} fails it as the host's stop would. */
  void track(com.google.common.util.concurrent.SettableFuture<?> answer) {
    inFlight.add(answer);
    answer.addListener(() -> inFlight.remove(answer), com.google.common.util.concurrent.MoreExecutors.directExecutor());
    if (stopped) {
      failInFlight();
    }
  }

  private void failInFlight() {
    for (com.google.common.util.concurrent.SettableFuture<?> f : inFlight) {
      f.setException(io.grpc.Status.UNAVAILABLE
          .withDescription("plugin '" + plugin.name() + "' is not running (STOPPED)").asRuntimeException());
    }
  }

  /**
   * Stops the plugin as its host would on SIGTERM, without the grace period: calls in flight are
   * cancelled, the worker threads end, the broker client is closed. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    boolean interrupted = false;
    // Calls in flight fail for their callers first, whatever the endpoint does once its context
    // is cancelled (over the in-process transport its answer could still arrive).
    failInFlight();
    channel.shutdownNow();
    server.shutdownNow();
    worker.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
      channel.awaitTermination(5, TimeUnit.SECONDS);
      worker.awaitTermination(5, TimeUnit.SECONDS);
      for (Thread t : workerThreads) {
        t.join(5_000);
      }
    } catch (InterruptedException e) {
      interrupted = true;
    }
    InProcessPlugins.shutdown(plugin);
    if (brokerServer != null) {
      brokerServer.shutdownNow();
    }
    if (unroute != null) {
      unroute.run();
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory threads(String prefix, java.util.Queue<Thread> created) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      created.add(t);
      return t;
    };
  }
}
