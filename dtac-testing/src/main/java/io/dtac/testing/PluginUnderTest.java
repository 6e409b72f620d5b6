package io.dtac.testing;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.core.Action;
import io.dtac.core.EndpointInfo;
import io.dtac.core.PluginCallException;
import io.dtac.core.Protocol;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.StatusCode;
import io.dtac.core.internal.Protos;
import io.dtac.plugin.PluginBase;
import io.grpc.Context;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;

/**
 * A plugin the {@link PluginTestKit} started in process, to call its endpoints as the broker
 * would: the request goes through the SDK's own plugin service (so a {@code PluginException}
 * becomes its status, an {@code IllegalArgumentException} INVALID_ARGUMENT, anything else
 * INTERNAL), carries the broker's {@code dtac-caller}, {@code dtac-call-chain} and call token
 * metadata (a caller's own {@code dtac-*} keys are removed), and has a deadline; the answer and
 * the failures are what {@code PluginBroker.call} gives a host, with the broker's messages.
 *
 * <p>Immutable and thread-safe, like a gRPC stub: {@link #withCaller} and {@link #withTimeout}
 * return a copy calling the same plugin. Calls after the plugin {@linkplain #close() stopped}
 * fail with UNAVAILABLE; after the kit closed, with NOT_FOUND (the kit forgets its plugins, as a
 * broker forgets an unloaded one).
 */
public final class PluginUnderTest {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");

  private final ServedPlugin served;
  private final Router router;
  private final String caller;
  private final Duration timeout;

  PluginUnderTest(ServedPlugin served, Router router, String caller, Duration timeout) {
    this.served = served;
    this.router = router;
    this.caller = caller;
    this.timeout = timeout;
  }

  /** {@return the plugin's name, e.g. "CalculatorPlugin"} */
  public String name() {
    return served.name();
  }

  /** {@return the plugin instance the kit started} */
  public PluginBase plugin() {
    return served.plugin();
  }

  /** {@return the endpoints the plugin answered to Register (with {@code default_secure} true), as the broker lists them} */
  public List<EndpointInfo> endpoints() {
    return served.endpoints();
  }

  /**
   * The records the plugin logged so far (from its constructor on), in order, as the agent
   * receives them on its LoggingStream. A record is here once {@code log} returned in the plugin.
   * A snapshot.
   *
   * @return the records, oldest first; an unmodifiable list
   */
  public List<PluginLogRecord> logs() {
    return served.logs();
  }

  /**
   * Calls endpoint {@code (action, path)} as the broker would call it for the caller (by default
   * the host, "agent"), and waits for the answer.
   *
   * @param action the endpoint's action
   * @param path the endpoint's path, e.g. "calculate"
   * @param request what to send; null is an empty request
   * @return the endpoint's answer
   * @throws PluginCallException with the plugin's status, or the broker's: NOT_FOUND for an
   *     endpoint the plugin did not register, DEADLINE_EXCEEDED when the timeout passes,
   *     UNAVAILABLE once the plugin is stopped, FAILED_PRECONDITION for a call cycle (a caller
   *     calling itself), CANCELLED if the calling thread is interrupted (its flag is restored)
   * @throws NullPointerException if {@code action} or {@code path} is null
   */
  public Response call(Action action, String path, Request request) throws PluginCallException {
    ListenableFuture<EndpointResponse> sent = send(action, path, request);
    try {
      return Protos.fromProto(sent.get());
    } catch (ExecutionException e) {
      throw Protos.toException(e.getCause());
    } catch (InterruptedException e) {
      sent.cancel(true);
      Thread.currentThread().interrupt();
      throw new PluginCallException(StatusCode.CANCELLED, "the calling thread was interrupted", e);
    }
  }

  /**
   * Like {@link #call(Action, String, Request)}, without blocking: the future completes on the
   * thread that completes the plugin's answer (one of its worker threads, or the calling thread
   * when the call fails before reaching it), and fails with a {@link PluginCallException}.
   * Cancelling the future cancels the call: the plugin's endpoint sees its gRPC context
   * cancelled, and so do the calls it makes in that context.
   *
   * @param action the endpoint's action
   * @param path the endpoint's path
   * @param request what to send; null is an empty request
   * @return the answer, to come
   * @throws NullPointerException if {@code action} or {@code path} is null
   */
  public CompletableFuture<Response> callAsync(Action action, String path, Request request) {
    ListenableFuture<EndpointResponse> sent = send(action, path, request);
    CompletableFuture<Response> result = new CompletableFuture<>() {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        // This future first: the call then fails with CANCELLED into a future already done,
        // so cancel returns true and the future is cancelled, as CompletableFuture promises.
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        sent.cancel(true);
        return cancelled;
      }
    };
    Futures.addCallback(sent, new FutureCallback<>() {
      @Override
      public void onSuccess(EndpointResponse r) {
        result.complete(Protos.fromProto(r));
      }

      @Override
      public void onFailure(Throwable t) {
        result.completeExceptionally(Protos.toException(t));
      }
    }, MoreExecutors.directExecutor());
    return result;
  }

  private ListenableFuture<EndpointResponse> send(Action action, String path, Request request) {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(path, "path");
    Request r = request == null ? Request.empty() : request;
    // A host call starts a chain of its own, whatever context the test thread is in.
    Context previous = Context.ROOT.attach();
    try {
      return router.route(List.of(caller), name(), path, action, Protos.toProto(r), timeout);
    } finally {
      Context.ROOT.detach(previous);
    }
  }

  /**
   * A copy whose calls come from {@code caller}, as if that plugin called through the broker:
   * the endpoint's {@code request.caller()} is {@code caller} and its call chain starts there.
   * The default caller is the host, {@value Protocol#HOST_CALLER}.
   *
   * @param caller the calling plugin's name
   * @return a copy calling as {@code caller}
   * @throws IllegalArgumentException if {@code caller} is not a valid plugin name
   */
  public PluginUnderTest withCaller(String caller) {
    if (caller == null || !NAME.matcher(caller).matches()) {
      throw new IllegalArgumentException(
          "caller '" + caller + "' must be a plugin name (letters, digits, '_', '.', '-') or 'agent'");
    }
    return new PluginUnderTest(served, router, caller, timeout);
  }

  /**
   * A copy whose calls have {@code timeout} as their deadline; the default is the broker's, 30 s.
   * The deadline carries over to the calls the plugin makes while serving the call.
   *
   * @param timeout the time each call may take
   * @return a copy calling with that timeout
   * @throws IllegalArgumentException if {@code timeout} is not positive
   * @throws NullPointerException if {@code timeout} is null
   */
  public PluginUnderTest withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    return new PluginUnderTest(served, router, caller, timeout);
  }

  /**
   * Stops the plugin now, as its host would on SIGTERM (without the grace period): calls in
   * flight are cancelled, its worker threads end, its broker client is closed. Later calls to it,
   * from the test or from other plugins, fail with UNAVAILABLE. Idempotent; the kit does it for
   * every plugin it started when it closes.
   */
  public void close() {
    served.close();
  }

  @Override
  public String toString() {
    return "PluginUnderTest[" + name() + " as " + caller + "]";
  }
}
