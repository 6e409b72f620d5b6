package io.dtac.testing;

import io.dtac.core.Action;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The broker the plugins a {@link PluginTestKit} started call through, like OkHttp's
 * MockWebServer: it answers for the other plugins with {@linkplain #stub stubs} and records
 * every call it receives.
 *
 * <pre>{@code
 * kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.json(Map.of("message", "hi")));
 * kit.broker().stub("Billing", Action.CREATE, "charge").fail(StatusCode.UNAVAILABLE, "down");
 * ...
 * RecordedCall call = kit.broker().calls().get(0);
 * }</pre>
 *
 * <p>A call reaches the broker through the plugin's real {@code BrokerClient} and is routed as
 * the real broker routes it: a target that is neither stubbed nor started is NOT_FOUND ("plugin
 * 'X' not found; loaded: ..."), an endpoint that is not stubbed is NOT_FOUND ("plugin 'X' has no
 * endpoint 'read:bye'; endpoints: ..."), cycles and chains deeper than 8 hops are
 * FAILED_PRECONDITION, the call carries the caller's deadline (else 30 s) and cancellation, and
 * the target sees the broker's {@code dtac-caller} and {@code dtac-call-chain} metadata. Calls to
 * plugins the kit {@linkplain PluginTestKit#start started} go to those plugins. The access
 * policy, TLS and audit of the real broker are not modelled: test those with {@link
 * PluginTestKit#startBroker}.
 *
 * <p>Thread-safe. Stubs and recorded calls live until the kit closes.
 */
public final class FakeBroker {
  private final Router router;
  private final Map<String, StubPlugin> stubs = new LinkedHashMap<>();
  private final List<ServedPlugin> served = new ArrayList<>();
  private final List<RecordedCall> calls = new CopyOnWriteArrayList<>();

  FakeBroker(Router router) {
    this.router = router;
  }

  /**
   * The stub of endpoint {@code (action, path)} of plugin {@code plugin}. The plugin is loaded
   * (listed, and found by calls) from its first stub on; the endpoint exists once an answer is set
   * on the stub, and until then calls to it are NOT_FOUND. Asking again for the same endpoint
   * gives a stub of that same endpoint, whose next answer replaces the previous one.
   *
   * @param plugin the stubbed plugin's name, case-sensitive, e.g. "HelloPlugin"
   * @param action the endpoint's action
   * @param path the endpoint's path, e.g. "hello"
   * @return the stub, to set its answer on
   * @throws IllegalArgumentException if {@code plugin} is not a valid plugin name, or {@code
   *     path} not a valid endpoint path (empty, starting with '/', or holding ':')
   * @throws IllegalStateException if the kit started a real plugin of that name
   * @throws NullPointerException if an argument is null
   */
  public synchronized Stub stub(String plugin, Action action, String path) {
    Objects.requireNonNull(plugin, "plugin");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(path, "path");
    StubPlugin stub = stubs.get(plugin);
    if (stub == null) {
      ServedPlugin existing = router.get(plugin);
      if (existing != null) {
        throw new IllegalStateException("plugin '" + plugin + "' was started in this test kit; a started"
            + " plugin cannot also be stubbed");
      }
      stub = new StubPlugin(plugin);
      stub.check(action, path);
      ServedPlugin s = ServedPlugin.serve(stub);
      try {
        router.add(s);
      } catch (RuntimeException e) {
        s.close();
        throw e;
      }
      served.add(s);
      stubs.put(plugin, stub);
    } else {
      stub.check(action, path);
    }
    return new Stub(stub, action, path);
  }

  /**
   * Every call the plugins under test made through the broker so far, in arrival order, whatever
   * its outcome (refused and not-found calls too). A call is recorded before it is routed, so it
   * is here by the time its caller has its answer. A snapshot: later calls do not change it.
   *
   * @return the recorded calls, oldest first; an unmodifiable list
   */
  public List<RecordedCall> calls() {
    return List.copyOf(calls);
  }

  void record(RecordedCall call) {
    calls.add(call);
  }

  /** Stops every stub and forgets the stubs and the calls. */
  synchronized void close() {
    for (ServedPlugin s : served) {
      s.close();
      router.remove(s);
    }
    served.clear();
    stubs.clear();
    calls.clear();
  }

  @Override
  public synchronized String toString() {
    return "FakeBroker[stubs=" + stubs.keySet() + ", calls=" + calls.size() + "]";
  }
}
