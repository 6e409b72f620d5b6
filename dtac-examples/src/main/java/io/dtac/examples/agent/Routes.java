package io.dtac.examples.agent;

import io.dtac.core.Action;
import io.dtac.core.EndpointInfo;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Maps {@code METHOD /plugins/ROOT_PATH/PATH} to a plugin endpoint, from a snapshot of the
 * broker's plugins (so a plugin that restarts or fails is routed by its current state). Stateless.
 */
final class Routes {
  static final String PREFIX = "/plugins/";

  private Routes() {}

  /** A resolved route: which plugin and endpoint to call, with which action. */
  static final class Route {
    private final PluginInfo plugin;
    private final EndpointInfo endpoint;

    Route(PluginInfo plugin, EndpointInfo endpoint) {
      this.plugin = plugin;
      this.endpoint = endpoint;
    }

    PluginInfo plugin() {
      return plugin;
    }

    EndpointInfo endpoint() {
      return endpoint;
    }

    Action action() {
      return endpoint.action();
    }
  }

  /** The HTTP method of an action ("read" -> "GET"), if it is one of the four. */
  static Optional<String> httpMethod(String action) {
    return Action.ofWireName(action.toLowerCase(Locale.ROOT)).map(Action::httpMethod);
  }

  /** The URL path of an endpoint, {@code /plugins/ROOT_PATH/PATH}. */
  static String url(PluginInfo plugin, EndpointInfo endpoint) {
    return PREFIX + plugin.rootPath() + "/" + endpoint.path();
  }

  /**
   * Resolves a request.
   *
   * @param method the HTTP method
   * @param path the decoded URL path, starting with {@link #PREFIX}
   * @throws HttpError 404 (no such plugin or endpoint), 405 (the endpoint exists with other
   *     methods; {@code Allow} lists them) or 503 (the plugin is not running)
   */
  static Route resolve(List<PluginInfo> plugins, String method, String path) throws HttpError {
    String rest = path.substring(PREFIX.length());
    int slash = rest.indexOf('/');
    String root = slash < 0 ? rest : rest.substring(0, slash);
    String endpointPath = slash < 0 ? "" : rest.substring(slash + 1);
    List<PluginInfo> atRoot =
        plugins.stream().filter(p -> p.rootPath().equals(root)).collect(Collectors.toList());
    if (atRoot.isEmpty()) {
      throw new HttpError(404,
          "no plugin at " + PREFIX + root + "; plugins: " + rootPaths(plugins));
    }
    PluginInfo plugin =
        atRoot.stream().filter(p -> p.state() == PluginState.RUNNING).findFirst().orElse(null);
    if (plugin == null) {
      PluginInfo down = atRoot.get(0);
      throw new HttpError(503,
          "plugin '" + down.name() + "' is not running (" + down.state() + ")"
              + down.failure().map(f -> ": " + f).orElse(""));
    }
    List<EndpointInfo> atPath =
        plugin.endpoints().stream()
            .filter(e -> e.path().equals(endpointPath) && httpMethod(e.action().wireName()).isPresent())
            .collect(Collectors.toList());
    if (atPath.isEmpty()) {
      throw new HttpError(404,
          "plugin '" + plugin.name() + "' has no endpoint '" + endpointPath + "'; endpoints: "
              + describe(plugin));
    }
    for (EndpointInfo e : atPath) {
      if (httpMethod(e.action().wireName()).orElseThrow().equals(method)) {
        return new Route(plugin, e);
      }
    }
    throw HttpError.methodNotAllowed(method, path,
        atPath.stream()
            .map(e -> httpMethod(e.action().wireName()).orElseThrow())
            .collect(Collectors.toCollection(TreeSet::new)));
  }

  private static String rootPaths(List<PluginInfo> plugins) {
    if (plugins.isEmpty()) {
      return "none loaded";
    }
    return plugins.stream()
        .map(p -> PREFIX + p.rootPath() + " (" + p.name() + ")")
        .sorted()
        .collect(Collectors.joining(", "));
  }

  /** "GET /plugins/hello/hello, ..." for a plugin. */
  static String describe(PluginInfo plugin) {
    return plugin.endpoints().stream()
        .filter(e -> httpMethod(e.action().wireName()).isPresent())
        .map(e -> httpMethod(e.action().wireName()).orElseThrow() + " " + url(plugin, e))
        .collect(Collectors.joining(", "));
  }
}
