package io.dtac.broker.server.internal;

import com.google.common.util.concurrent.ListenableFuture;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.StatusCode;
import io.dtac.core.internal.Protos;
import io.grpc.Context;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The host application's calls to plugins ({@code PluginBroker.call}/{@code callAsync}): through
 * the same {@link CallGate} as brokered calls, as caller "agent", in SDK types. Only the host holds
 * this path: its calls are host calls because they come this way, whatever name anything claims.
 */
public final class HostCalls {
  private final CallGate gate;

  public HostCalls(CallGate gate) {
    this.gate = gate;
  }

  /**
   * Routes one call; the future completes on the transport thread that receives the answer, or
   * fails with a {@link PluginCallException}. Cancelling it cancels the routed call.
   *
   * @param timeout null: the current gRPC context's deadline, else the broker's call timeout
   */
  public CompletableFuture<Response> callAsync(
      String pluginName, String path, Action action, Request request, Duration timeout) {
    CompletableFuture<Response> result = new CompletableFuture<>();
    // The cancellable context lets cancelling the future cancel the routed call.
    Context.CancellableContext cancellable = Context.current().withCancellation();
    Context host = CallerIdentity.asHost(cancellable);
    Context previous = host.attach();
    ListenableFuture<EndpointResponse> routed;
    try {
      routed = gate.call(pluginName, path, action.wireName(), Protos.toProto(request), timeout);
    } finally {
      host.detach(previous);
    }
    routed.addListener(
        () -> {
          try {
            result.complete(Protos.fromProto(routed.get()));
          } catch (ExecutionException e) {
            result.completeExceptionally(Protos.toException(e.getCause()));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            result.completeExceptionally(new PluginCallException(StatusCode.CANCELLED, "interrupted"));
          }
        },
        Runnable::run);
    result.whenComplete((r, t) -> {
      if (result.isCancelled()) {
        routed.cancel(true);
      }
      cancellable.cancel(null);
    });
    return result;
  }

  /**
   * Like {@link #callAsync}, blocking the calling thread.
   *
   * @throws PluginCallException the call's failure; CANCELLED if the thread is interrupted (its
   *     interrupt flag is then set again and the call cancelled)
   */
  public Response call(String pluginName, String path, Action action, Request request, Duration timeout)
      throws PluginCallException {
    CompletableFuture<Response> f = callAsync(pluginName, path, action, request, timeout);
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new PluginCallException(StatusCode.CANCELLED, "interrupted while waiting for plugin '" + pluginName + "'");
    } catch (ExecutionException e) {
      throw Protos.toException(e.getCause());
    }
  }
}
