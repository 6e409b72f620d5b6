package io.dtac.examples.agent;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's admin routes, under {@code /admin}: load, unload and reload plugins and reload
 * the access policy at runtime.
 *
 * <ul>
 *   <li>{@code GET /admin/plugins}: every plugin, as {@code GET /plugins} shows it plus its file,
 *       process id and failure.
 *   <li>{@code POST /admin/plugins} with {@code {"file": "hello.plugin"}}: loads that file from
 *       the agent's plugin directory; 201 when it runs, 422 with the reason when it fails.
 *   <li>{@code GET /admin/plugins/NAME}, {@code DELETE /admin/plugins/NAME} (unload), {@code POST
 *       /admin/plugins/NAME/reload}.
 *   <li>{@code POST /admin/policy/reload}: re-reads the access policy file; 409 when the agent has
 *       none.
 * </ul>
 *
 * <p>The gateway checks the bearer token before it hands a request here. The only file this class
 * lets the broker launch is one {@link PluginFileName} accepts: a {@code *.plugin} file named by a
 * bare file name inside the plugin directory.
 * Backend operations block the calling (pool) thread until the plugin is RUNNING or FAILED.
 * Thread-safe and stateless apart from its backend.
 */
final class AdminRoutes {
  static final String PREFIX = "/admin";

  private static final Logger LOG = LoggerFactory.getLogger(AdminRoutes.class);
  private static final String PLUGINS = PREFIX + "/plugins";
  private static final String POLICY_RELOAD = PREFIX + "/policy/reload";
  private static final String ROUTES =
      "GET /admin/plugins, POST /admin/plugins, GET /admin/plugins/NAME, DELETE /admin/plugins/NAME,"
          + " POST /admin/plugins/NAME/reload, POST /admin/policy/reload";

  /** The request body, read only by the routes that take one. */
  @FunctionalInterface
  interface Body {
    byte[] read() throws HttpError;
  }

  private final GatewayBackend backend;

  AdminRoutes(GatewayBackend backend) {
    this.backend = Objects.requireNonNull(backend, "backend");
  }

  /** Whether {@code path} is an admin route (so needs a token whatever else it is). */
  static boolean matches(String path) {
    return path.equals(PREFIX) || path.startsWith(PREFIX + "/");
  }

  /**
   * Serves an authenticated admin request.
   *
   * @param path the decoded URL path, for which {@link #matches} is true
   * @throws HttpError 400 (bad body or file name), 404 (no such route or plugin), 405 (wrong
   *     method; {@code Allow} lists the right ones), 409 (already loaded; no policy file), 422
   *     (the loaded plugin failed), 502 (the reloaded plugin failed), 503 (the agent is stopping)
   */
  JsonAnswer serve(String method, String path, Body body) throws HttpError {
    try {
      if (path.equals(PLUGINS)) {
        HttpError.requireMethod(method, path, "GET", "POST");
        return method.equals("GET")
            ? new JsonAnswer(200, PluginJson.listing(backend.plugins(), true))
            : load(body);
      }
      if (path.equals(POLICY_RELOAD)) {
        HttpError.requireMethod(method, path, "POST");
        return reloadPolicy();
      }
      if (path.startsWith(PLUGINS + "/")) {
        String rest = path.substring(PLUGINS.length() + 1);
        int slash = rest.indexOf('/');
        String name = slash < 0 ? rest : rest.substring(0, slash);
        if (!name.isEmpty() && slash < 0) {
          HttpError.requireMethod(method, path, "DELETE", "GET");
          return method.equals("GET") ? show(name) : unload(name);
        }
        if (!name.isEmpty() && rest.substring(slash).equals("/reload")) {
          HttpError.requireMethod(method, path, "POST");
          return reload(name);
        }
      }
      throw new HttpError(404, "no admin route " + path + "; admin routes: " + ROUTES);
    } catch (IllegalStateException e) {
      throw new HttpError(503, "the agent is shutting down: " + e.getMessage());
    }
  }

  private JsonAnswer show(String name) throws HttpError {
    PluginInfo p = backend.plugins().stream().filter(i -> i.name().equals(name)).findFirst()
        .orElseThrow(() -> unknown(name));
    return new JsonAnswer(200, PluginJson.plugin(p, true));
  }

  private JsonAnswer load(Body body) throws HttpError {
    String fileName = PluginFileName.fromBody(body.read());
    Path file = PluginFileName.resolve(backend.pluginDirectory(), fileName);
    Optional<PluginInfo> loaded = backend.plugins().stream()
        .filter(p -> p.state() != PluginState.FAILED && sameFile(p.file(), file))
        .findFirst();
    if (loaded.isPresent()) {
      PluginInfo p = loaded.get();
      throw new HttpError(409, fileName + " is already loaded as plugin '" + p.name() + "' ("
          + p.state() + "); reload it with POST " + pluginUrl(p.name()) + "/reload, or unload it"
          + " with DELETE " + pluginUrl(p.name()) + " first");
    }
    PluginInfo p = backend.load(file);
    LOG.info("admin: loaded {}: {}", fileName, outcome(p));
    requireRunning(p, why -> new HttpError(422, "plugin file " + fileName + " failed to load: " + why));
    return new JsonAnswer(201, PluginJson.plugin(p, true), Map.of("Location", pluginUrl(p.name())));
  }

  private JsonAnswer unload(String name) throws HttpError {
    PluginInfo p = backend.unload(name).orElseThrow(() -> unknown(name));
    LOG.info("admin: unloaded {}: {}", name, p.state());
    return new JsonAnswer(200, PluginJson.plugin(p, true));
  }

  private JsonAnswer reload(String name) throws HttpError {
    PluginInfo p = backend.reload(name).orElseThrow(() -> unknown(name));
    LOG.info("admin: reloaded {}: {}", name, outcome(p));
    requireRunning(p, why -> new HttpError(502, "plugin '" + name + "' failed to start again: " + why));
    return new JsonAnswer(200, PluginJson.plugin(p, true));
  }

  private JsonAnswer reloadPolicy() throws HttpError {
    Path file = backend.accessPolicyFile().orElseThrow(() -> new HttpError(409,
        "the agent has no access policy file to reload (every plugin may call every other); set"
            + " access_policy_file in the agent's --config file and restart the agent"));
    AccessPolicy policy;
    try {
      policy = backend.reloadAccessPolicy();
    } catch (IllegalArgumentException e) {
      throw new HttpError(400, "access policy file " + file + " not reloaded, the previous policy"
          + " stays in force: " + e.getMessage());
    }
    LOG.info("admin: access policy reloaded from {}: {} rules, default {}",
        file, policy.rules().size(), policy.defaultEffect().wireName());
    ObjectNode o = GatewayJson.object();
    o.put("source", policy.source());
    o.put("default_effect", policy.defaultEffect().wireName());
    ArrayNode rules = o.putArray("rules");
    for (AccessPolicy.Rule r : policy.rules()) {
      rules.addObject()
          .put("id", r.id())
          .put("caller", r.caller())
          .put("target", r.target())
          .put("operation", r.operation())
          .put("effect", r.effect().wireName());
    }
    return new JsonAnswer(200, o);
  }

  private static boolean sameFile(Path a, Path b) {
    return a != null && a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
  }

  private HttpError unknown(String name) {
    List<PluginInfo> all = backend.plugins();
    Optional<PluginInfo> unnamed = all.stream()
        .filter(p -> p.name().equals(name) && p.state() == PluginState.FAILED).findFirst();
    if (unnamed.isPresent()) {
      // A file that failed before its handshake is listed under its file name but was never loaded.
      return new HttpError(404, "'" + name + "' failed before it could register, so there is no"
          + " plugin to unload or reload (" + unnamed.get().failure().orElse("no reason given")
          + "); fix it and load it with POST " + PLUGINS + " " + PluginFileName.EXAMPLE_BODY.replace("NAME.plugin", name));
    }
    String names = all.stream().map(PluginInfo::name).sorted().collect(Collectors.joining(", "));
    return new HttpError(404, "no plugin named '" + name + "'; plugins: "
        + (names.isEmpty() ? "none" : names));
  }

  /**
   * Passes a plugin that (re)started and is RUNNING.
   *
   * @throws HttpError {@code failed}'s error, given the reason, if it FAILED; 503 in any other
   *     state (the agent is stopping it)
   */
  private static void requireRunning(PluginInfo p, Function<String, HttpError> failed) throws HttpError {
    if (p.state() == PluginState.FAILED) {
      throw failed.apply(p.failure().orElse("no reason given"));
    }
    if (p.state() != PluginState.RUNNING) {
      throw new HttpError(503, "plugin '" + p.name() + "' is " + p.state()
          + "; the agent may be shutting down");
    }
  }

  /** "RUNNING", or "FAILED (the reason)", for the admin log. */
  private static String outcome(PluginInfo p) {
    return p.state() + p.failure().map(f -> " (" + f + ")").orElse("");
  }

  /** {@code /admin/plugins/NAME}, the name percent-encoded as a path segment. */
  static String pluginUrl(String name) {
    try {
      return new URI(null, null, PLUGINS + "/" + name, null).toASCIIString();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("a path always makes a URI", e);
    }
  }
}
