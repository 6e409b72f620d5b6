package io.dtac.testing;

import io.dtac.core.Action;
import io.dtac.core.PluginException;
import io.dtac.core.Response;
import io.dtac.core.StatusCode;
import io.dtac.plugin.EndpointHandler;
import io.grpc.Context;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;

/**
 * The answer of one stubbed endpoint of another plugin, as {@link FakeBroker#stub} returns it.
 * Setting an answer makes the endpoint exist; setting another replaces it for later calls. The
 * stub is served by the SDK's own plugin service, so it answers exactly as a plugin with that
 * endpoint would: an exception from a handler maps to a status as a plugin's does. Thread-safe.
 */
public final class Stub {
  private final StubPlugin plugin;
  private final Action action;
  private final String path;

  Stub(StubPlugin plugin, Action action, String path) {
    this.plugin = plugin;
    this.action = action;
    this.path = path;
  }

  /**
   * Answers every call with {@code response}.
   *
   * @param response the answer
   * @throws NullPointerException if {@code response} is null
   */
  public void answer(Response response) {
    Objects.requireNonNull(response, "response");
    answer(request -> response);
  }

  /**
   * Answers every call with what {@code handler} returns for it. The handler runs on one of the
   * stub's worker threads, possibly concurrently, in the call's gRPC context (so it sees the
   * deadline and cancellation). It sees the request with the broker's metadata: {@code
   * request.caller()} is the calling plugin and {@code request.callChain()} the chain. A {@link
   * PluginException} answers with its status, an {@link IllegalArgumentException} with
   * INVALID_ARGUMENT, anything else with INTERNAL, and null with INTERNAL, as for a plugin.
   *
   * @param handler computes the answer to each call
   * @throws NullPointerException if {@code handler} is null
   */
  public void answer(EndpointHandler handler) {
    plugin.answer(action, path, Objects.requireNonNull(handler, "handler"));
  }

  /**
   * Fails every call with {@code code} and {@code description}, as a plugin that throws {@code new
   * PluginException(code, description)}: the caller's {@code PluginCallException} has that code
   * and description.
   *
   * @param code the status
   * @param description the message for the caller
   * @throws IllegalArgumentException if {@code code} is OK (use {@link #answer(Response)})
   * @throws NullPointerException if {@code code} is null
   */
  public void fail(StatusCode code, String description) {
    Objects.requireNonNull(code, "code");
    if (code == StatusCode.OK) {
      throw new IllegalArgumentException("a failure needs a code other than OK; use answer(...) to succeed");
    }
    answer(request -> {
      throw new PluginException(code, description);
    });
  }

  /**
   * Never answers: each call waits until its deadline passes (the caller's, else the broker's
   * default of 30 s) or its caller cancels it, holding a worker thread until then; the kit's
   * {@code close()} ends it too. For testing timeouts and cancellation.
   */
  public void hang() {
    answer(request -> {
      CountDownLatch ended = new CountDownLatch(1);
      Context.current().addListener(c -> ended.countDown(), Runnable::run);
      try {
        ended.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new PluginException(StatusCode.CANCELLED, "the call ended before the stub answered");
    });
  }

  @Override
  public String toString() {
    return "Stub[" + plugin.name() + " " + action.methodKey(path) + "]";
  }
}
