package io.dtac.examples.agent;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dtac.core.EndpointInfo;
import io.dtac.broker.server.PluginInfo;
import java.util.Comparator;
import java.util.List;

/**
 * How the gateway shows plugins as JSON, in one place so that {@code GET /plugins} and the admin
 * routes describe a plugin the same way. Stateless.
 */
final class PluginJson {
  private PluginJson() {}

  /**
   * {@code {"plugins": [...]}}, sorted by plugin name.
   *
   * @param admin whether to add what only an administrator needs (file, pid, failure always)
   */
  static ObjectNode listing(List<PluginInfo> plugins, boolean admin) {
    ObjectNode root = GatewayJson.object();
    ArrayNode list = root.putArray("plugins");
    plugins.stream()
        .sorted(Comparator.comparing(PluginInfo::name))
        .forEach(p -> list.add(plugin(p, admin)));
    return root;
  }

  /**
   * One plugin: name, root path, state, failure (when it has one) and endpoints; for {@code
   * admin}, also its file name, its process id and its failure, each {@code null} when absent.
   */
  static ObjectNode plugin(PluginInfo p, boolean admin) {
    ObjectNode o = GatewayJson.object();
    o.put("name", p.name());
    o.put("root_path", p.rootPath());
    o.put("state", p.state().name());
    if (admin) {
      o.put("file", p.file() == null ? null : p.file().getFileName().toString());
      if (p.pid().isPresent()) {
        o.put("pid", p.pid().getAsLong());
      } else {
        o.putNull("pid");
      }
      o.put("failure", p.failure().orElse(null));
    } else {
      p.failure().ifPresent(f -> o.put("failure", f));
    }
    ArrayNode endpoints = o.putArray("endpoints");
    for (EndpointInfo e : p.endpoints()) {
      ObjectNode eo = endpoints.addObject();
      eo.put("method", Routes.httpMethod(e.action().wireName()).orElse(null));
      eo.put("url", Routes.url(p, e));
      eo.put("path", e.path());
      eo.put("action", e.action().wireName());
      eo.put("description", e.description());
      eo.put("secure", e.secure());
      if (!e.authGroup().isEmpty()) {
        eo.put("auth_group", e.authGroup());
      }
    }
    return o;
  }
}
