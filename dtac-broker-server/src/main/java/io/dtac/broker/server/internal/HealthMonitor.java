package io.dtac.broker.server.internal;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.dtac.broker.server.PluginState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.dtac.broker.server.internal.observability.BrokerMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/**
 * Checks every RUNNING plugin with the standard gRPC health service ({@code grpc.health.v1.Health/Check},
 * which the plugin SDK serves) every interval; a plugin that fails {@code threshold} checks in a
 * row (no answer within the timeout, or an answer other than SERVING) is reported to
 * {@code onUnresponsive}, which fails and kills it so that it is restarted. A plugin that answers
 * UNIMPLEMENTED (one built without the health service) has answered, so it counts as healthy.
 * At most one check per plugin is outstanding. Checks run on {@code timer}; answers arrive on
 * gRPC threads.
 */
public final class HealthMonitor implements AutoCloseable {
  private final PluginRegistry registry;
  private final ScheduledExecutorService timer;
  private final Duration interval;
  private final Duration timeout;
  private final int threshold;
  private final BiConsumer<LoadedPlugin, String> onUnresponsive;
  private final BrokerMetrics metrics;
  private final Map<LoadedPlugin, Probe> probes = new ConcurrentHashMap<>();
  private volatile ScheduledFuture<?> task;

  /**
   * @param interval time between checks; zero disables checking
   * @param onUnresponsive called once per failed process, with a reason naming the last failure
   */
  public HealthMonitor(
      PluginRegistry registry,
      ScheduledExecutorService timer,
      Duration interval,
      Duration timeout,
      int threshold,
      BiConsumer<LoadedPlugin, String> onUnresponsive,
      BrokerMetrics metrics) {
    this.metrics = metrics;
    this.registry = registry;
    this.timer = timer;
    this.interval = interval;
    this.timeout = timeout;
    this.threshold = threshold;
    this.onUnresponsive = onUnresponsive;
  }

  public void start() {
    if (interval.isZero()) {
      return;
    }
    task =
        timer.scheduleWithFixedDelay(
            this::checkAll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  void checkAll() {
    Set<LoadedPlugin> current = Set.copyOf(registry.plugins());
    probes.keySet().retainAll(current);
    for (LoadedPlugin plugin : current) {
      PluginProcess process = plugin.process();
      ManagedChannel channel = plugin.channel();
      if (plugin.state() != PluginState.RUNNING || process == null || channel == null) {
        continue;
      }
      Probe probe = probes.compute(plugin, (p, old) -> old != null && old.process == process ? old : new Probe(process));
      if (probe.outstanding) {
        continue;
      }
      probe.outstanding = true;
      Futures.addCallback(
          HealthGrpc.newFutureStub(channel)
              .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .check(HealthCheckRequest.getDefaultInstance()),
          new FutureCallback<>() {
            @Override
            public void onSuccess(HealthCheckResponse reply) {
              if (reply.getStatus() == HealthCheckResponse.ServingStatus.SERVING) {
                probe.healthy();
              } else {
                probe.failed(plugin, "it answered " + reply.getStatus());
              }
            }

            @Override
            public void onFailure(Throwable t) {
              Status status = Status.fromThrowable(t);
              if (status.getCode() == Status.Code.UNIMPLEMENTED) {
                probe.healthy();
              } else if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
                probe.failed(plugin, "no answer within " + timeout.toMillis() + " ms");
              } else {
                probe.failed(plugin, status.getCode() + ": " + status.getDescription());
              }
            }
          },
          MoreExecutors.directExecutor());
    }
  }

  /** Stops checking. Idempotent. */
  @Override
  public void close() {
    ScheduledFuture<?> t = task;
    if (t != null) {
      t.cancel(false);
    }
  }

  /** Names of plugins with failed checks and how many, for diagnostics. */
  @Override
  public String toString() {
    return probes.entrySet().stream()
        .filter(e -> e.getValue().failures > 0)
        .map(e -> e.getKey().name() + "=" + e.getValue().failures)
        .collect(Collectors.joining(", ", "HealthMonitor[", "]"));
  }

  /** The check state of one plugin process. */
  private final class Probe {
    final PluginProcess process;
    volatile boolean outstanding;
    volatile int failures;
    boolean reported;

    Probe(PluginProcess process) {
      this.process = process;
    }

    void healthy() {
      failures = 0;
      outstanding = false;
    }

    void failed(LoadedPlugin plugin, String why) {
      int n = ++failures;
      outstanding = false;
      metrics.healthCheckFailed(plugin.name());
      if (n < threshold || plugin.process() != process || plugin.state() != PluginState.RUNNING) {
        return;
      }
      synchronized (this) {
        if (reported) {
          return;
        }
        reported = true;
      }
      onUnresponsive.accept(
          plugin,
          "stopped answering health checks: " + n + " failed in a row, the last: " + why);
    }
  }
}
