package io.dtac.testing;

import static io.dtac.core.internal.Messages.quote;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.common.util.concurrent.SettableFuture;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.EndpointResponseMessage;
import io.dtac.core.Action;
import io.dtac.core.Protocol;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The kit's broker: routes a call to a plugin served in process (started or stubbed) as the real
 * broker's {@code CallRouter} does: the same checks in the same order, the same messages, the
 * broker's {@code dtac-*} metadata stamped on the request, call chains with their cycle and depth
 * checks, and the default deadline. Thread-safe.
 */
final class Router {
  /** The real broker's default {@code callTimeout}. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  /** The real broker's default {@code maxCallDepth}. */
  static final int MAX_DEPTH = 8;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, ServedPlugin> targets = new LinkedHashMap<>();
  private final Map<String, Hop> hops = new ConcurrentHashMap<>();

  private record Hop(String target, List<String> chain) {}

  /** @throws IllegalStateException if a plugin of that name is routed already */
  synchronized void add(ServedPlugin plugin) {
    if (targets.putIfAbsent(plugin.name(), plugin) != null) {
      throw new IllegalStateException(
          "a plugin named '" + plugin.name() + "' is started or stubbed already in this test kit;"
              + " plugin names are unique in a broker");
    }
  }

  synchronized void remove(ServedPlugin plugin) {
    targets.remove(plugin.name(), plugin);
  }

  synchronized ServedPlugin get(String name) {
    return targets.get(name);
  }

  synchronized List<ServedPlugin> all() {
    return List.copyOf(targets.values());
  }

  /** The chain of the call in flight whose token is {@code token}, if that call went to {@code caller}; else null. */
  List<String> chainFor(String token, String caller) {
    Hop hop = hops.get(token);
    return hop != null && hop.target.equals(caller) ? hop.chain : null;
  }

  /**
   * Routes {@code (path, action)} of {@code plugin} for a caller whose chain so far is {@code
   * parent} (the caller last). The deadline is {@code timeout}, else the current context's, else
   * {@link #DEFAULT_TIMEOUT}; the current context's cancellation cancels the call, and so does
   * cancelling the returned future.
   *
   * @return a future failing with a {@link StatusRuntimeException}
   */
  ListenableFuture<EndpointResponse> route(
      List<String> parent, String plugin, String path, Action action, EndpointRequest request, Duration timeout) {
    ServedPlugin target;
    String key = action.methodKey(path);
    List<String> chain;
    try {
      target = resolve(plugin, path);
      if (!target.hasEndpoint(key)) {
        throw Status.NOT_FOUND
            .withDescription("plugin " + quote(plugin) + " has no endpoint " + quote(key) + "; endpoints: "
                + target.endpointKeys())
            .asRuntimeException();
      }
      chain = open(parent, plugin);
    } catch (StatusRuntimeException e) {
      return Futures.immediateFailedFuture(e);
    }
    Deadline deadline = Context.current().getDeadline();
    long allowedMillis;
    if (timeout != null || deadline == null) {
      Duration allowed = timeout != null ? timeout : DEFAULT_TIMEOUT;
      deadline = Deadline.after(allowed.toNanos(), TimeUnit.NANOSECONDS);
      allowedMillis = allowed.toMillis();
    } else {
      allowedMillis = (deadline.timeRemaining(TimeUnit.NANOSECONDS) + 999_999) / 1_000_000;
    }
    String token = newToken();
    hops.put(token, new Hop(plugin, chain));
    Deadline callDeadline = deadline;
    SettableFuture<EndpointResponse> result = SettableFuture.create();
    target.track(result);
    ListenableFuture<EndpointResponseMessage> sent;
    try {
      sent = target.stub().withDeadline(deadline).call(EndpointRequestMessage.newBuilder()
          .setMethod(key).setRequest(stamp(request, chain, token)).build());
    } catch (RuntimeException e) {
      hops.remove(token);
      return Futures.immediateFailedFuture(Status.fromThrowable(e).asRuntimeException());
    }
    result.addListener(() -> {
      if (result.isCancelled()) {
        sent.cancel(true);
      }
    }, MoreExecutors.directExecutor());
    Futures.addCallback(sent, new FutureCallback<>() {
      @Override
      public void onSuccess(EndpointResponseMessage reply) {
        hops.remove(token);
        result.set(reply.getResponse());
      }

      @Override
      public void onFailure(Throwable t) {
        hops.remove(token);
        result.setException(explain(target, key, Status.fromThrowable(t), callDeadline, allowedMillis));
      }
    }, MoreExecutors.directExecutor());
    return result;
  }

  private ServedPlugin resolve(String plugin, String path) {
    if (plugin.isEmpty()) {
      throw invalid("plugin_name is empty; name the plugin to call, e.g. 'HelloPlugin'");
    }
    if (path.isEmpty()) {
      throw invalid("method is empty; name the endpoint path to call, e.g. 'hello'");
    }
    ServedPlugin target = get(plugin);
    if (target == null) {
      String loaded = all().stream().map(ServedPlugin::name).collect(Collectors.joining(", "));
      throw Status.NOT_FOUND
          .withDescription("plugin " + quote(plugin) + " not found; loaded: " + (loaded.isEmpty() ? "(none)" : loaded))
          .asRuntimeException();
    }
    if (target.stopped()) {
      throw notRunning(target);
    }
    return target;
  }

  /** The new hop's chain, refusing cycles and chains that are too deep as the broker does. */
  private static List<String> open(List<String> parent, String target) {
    List<String> chain = new ArrayList<>(parent);
    chain.add(target);
    if (parent.contains(target)) {
      throw Status.FAILED_PRECONDITION
          .withDescription("call cycle refused: " + String.join(" -> ", chain) + " (plugin '" + target
              + "' is already in this call chain)")
          .asRuntimeException();
    }
    int hops = chain.size() - 1;
    if (hops > MAX_DEPTH) {
      throw Status.FAILED_PRECONDITION
          .withDescription("call chain too deep: " + String.join(" -> ", chain) + " has " + hops
              + " hops; the maximum is " + MAX_DEPTH)
          .asRuntimeException();
    }
    return List.copyOf(chain);
  }

  /** The broker's metadata replaces whatever the caller put under {@code dtac-*} keys, in any case. */
  private static EndpointRequest stamp(EndpointRequest request, List<String> chain, String token) {
    EndpointRequest.Builder b = request.toBuilder();
    for (String k : request.getMetadataMap().keySet()) {
      if (k.regionMatches(true, 0, Protocol.RESERVED_PREFIX, 0, Protocol.RESERVED_PREFIX.length())) {
        b.removeMetadata(k);
      }
    }
    return b.putMetadata(Protocol.CALLER_METADATA, chain.get(chain.size() - 2))
        .putMetadata(Protocol.CALL_TOKEN, token)
        .putMetadata(Protocol.CALL_CHAIN_METADATA, String.join(Protocol.CHAIN_SEPARATOR, chain))
        .build();
  }

  private static StatusRuntimeException explain(
      ServedPlugin target, String key, Status status, Deadline deadline, long allowedMillis) {
    if (status.getCode() == Status.Code.DEADLINE_EXCEEDED && deadline.isExpired()) {
      return Status.DEADLINE_EXCEEDED
          .withDescription("call to plugin '" + target.name() + "' endpoint '" + key
              + "' did not complete within its deadline of " + allowedMillis + " ms")
          .asRuntimeException();
    }
    if (target.stopped() && status.getCode() != Status.Code.DEADLINE_EXCEEDED) {
      return notRunning(target);
    }
    return status.asRuntimeException();
  }

  private static StatusRuntimeException notRunning(ServedPlugin target) {
    return Status.UNAVAILABLE
        .withDescription("plugin '" + target.name() + "' is not running (STOPPED)")
        .asRuntimeException();
  }

  private static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }


  private static String newToken() {
    byte[] bytes = new byte[18];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
