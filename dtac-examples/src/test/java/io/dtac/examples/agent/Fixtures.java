package io.dtac.examples.agent;

import io.dtac.core.Action;
import io.dtac.core.EndpointInfo;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.util.List;

/** Plugin snapshots shaped like the broker's, for routing and gateway tests. */
final class Fixtures {
  private Fixtures() {}

  static EndpointInfo endpoint(String action, String path, boolean secure) {
    return new EndpointInfo(Action.fromWireName(action), path, action + " " + path, secure, "", "", "");
  }

  static PluginInfo running(String name, String root, EndpointInfo... endpoints) {
    return new PluginInfo(name, root, PluginState.RUNNING, List.of(endpoints), null, 0, null);
  }

  static PluginInfo failed(String name, String root, String why) {
    return new PluginInfo(name, root, PluginState.FAILED, List.of(), null, 0, why);
  }

  static final List<PluginInfo> EXAMPLES = List.of(
      running("HelloPlugin", "hello", endpoint("read", "hello", true)),
      running("CalculatorPlugin", "calculator",
          endpoint("create", "calculate", true), endpoint("create", "calculate_via_hello", true)),
      running("ItemsPlugin", "items",
          endpoint("read", "item", true), endpoint("write", "item", true),
          endpoint("delete", "item", true), endpoint("read", "open", false),
          endpoint("read", "deep/path", true)));
}
