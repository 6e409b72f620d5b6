package io.dtac.testing;

import io.dtac.core.Action;
import io.dtac.plugin.Endpoint;
import io.dtac.plugin.EndpointHandler;
import io.dtac.plugin.PluginBase;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A stubbed plugin: a real {@link PluginBase} whose endpoints answer what the test set. */
final class StubPlugin extends PluginBase {
  private final Map<String, EndpointHandler> answers = new ConcurrentHashMap<>();

  /** @throws IllegalArgumentException if {@code name} is not a valid plugin name */
  StubPlugin(String name) {
    super(name, name);
  }

  /** @throws IllegalArgumentException if {@code path} is not a valid endpoint path */
  synchronized void check(Action action, String path) {
    Endpoint.builder(action, path).handler(r -> null).build();
  }

  synchronized void answer(Action action, String path, EndpointHandler handler) {
    String key = action.methodKey(path);
    if (answers.put(key, handler) == null) {
      endpoint(Endpoint.builder(action, path).description("stubbed by the test kit")
          .handler(request -> answers.get(key).handle(request)).build());
    }
  }
}
