package io.dtac.examples.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
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
 * lets the broker launch is a {@code *.plugin} file named by a bare file name inside the plugin
 * directory: a path, {@code ..}, or a file that is not there is refused before anything runs.
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
  private static final String LOAD_BODY = "{\"file\": \"NAME.plugin\"}";

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
    String fileName = fileNameFrom(body.read());
    Path file = pluginFile(backend.pluginDirectory(), fileName);
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
    LOG.info("admin: loaded {}: {}{}", fileName, p.state(), p.failure().map(f -> " (" + f + ")").orElse(""));
    if (p.state() == PluginState.RUNNING) {
      return new JsonAnswer(201, PluginJson.plugin(p, true), Map.of("Location", pluginUrl(p.name())));
    }
    if (p.state() == PluginState.FAILED) {
      throw new HttpError(422, "plugin file " + fileName + " failed to load: "
          + p.failure().orElse("no reason given"));
    }
    throw notRunning(p);
  }

  private JsonAnswer unload(String name) throws HttpError {
    PluginInfo p = backend.unload(name).orElseThrow(() -> unknown(name));
    LOG.info("admin: unloaded {}: {}", name, p.state());
    return new JsonAnswer(200, PluginJson.plugin(p, true));
  }

  private JsonAnswer reload(String name) throws HttpError {
    PluginInfo p = backend.reload(name).orElseThrow(() -> unknown(name));
    LOG.info("admin: reloaded {}: {}{}", name, p.state(), p.failure().map(f -> " (" + f + ")").orElse(""));
    if (p.state() == PluginState.RUNNING) {
      return new JsonAnswer(200, PluginJson.plugin(p, true));
    }
    if (p.state() == PluginState.FAILED) {
      throw new HttpError(502, "plugin '" + name + "' failed to start again: "
          + p.failure().orElse("no reason given"));
    }
    throw notRunning(p);
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

  /**
   * The {@code file} of a load request's body.
   *
   * @throws HttpError 400 naming what is wrong with the body
   */
  static String fileNameFrom(byte[] body) throws HttpError {
    JsonNode root;
    try {
      root = body.length == 0 ? null : GatewayJson.parse(body);
    } catch (GatewayJson.MalformedJson e) {
      throw new HttpError(400, "malformed JSON body (" + e.reason() + "); send " + LOAD_BODY);
    }
    if (root == null || !root.isObject()) {
      throw new HttpError(400, "the body must be a JSON object " + LOAD_BODY
          + " naming a plugin file in the agent's plugin directory");
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String field = names.next();
      if (!field.equals("file")) {
        throw new HttpError(400, "unknown field '" + field + "' in the body; send " + LOAD_BODY);
      }
    }
    JsonNode file = root.get("file");
    if (file == null || !file.isTextual()) {
      throw new HttpError(400, "the body needs \"file\" as a string: " + LOAD_BODY);
    }
    return file.asText();
  }

  /**
   * The plugin file a load request may launch: {@code name} in {@code dir}, if {@code name} is a
   * bare file name ending in {@code .plugin} and such a file is there. Symbolic links in the
   * directory are followed, as the agent does at start-up: whoever may write to the plugin
   * directory already decides what runs.
   *
   * @throws HttpError 400 naming what is wrong with the name, or that there is no such file
   */
  static Path pluginFile(Path dir, String name) throws HttpError {
    if (name.isEmpty()) {
      throw new HttpError(400, "\"file\" is empty; name a *.plugin file in the plugin directory");
    }
    if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new HttpError(400, "\"file\" contains a control character; name a *.plugin file in"
          + " the plugin directory");
    }
    if (name.contains("/") || name.contains("\\")) {
      throw new HttpError(400, "\"file\" must be a bare file name in the plugin directory, not a"
          + " path: '" + name + "' contains a path separator");
    }
    if (name.contains("..")) {
      throw new HttpError(400, "\"file\" must not contain '..': '" + name + "'");
    }
    if (!name.endsWith(".plugin") || name.length() == ".plugin".length()) {
      throw new HttpError(400, "\"file\" must name a NAME.plugin file, got '" + name + "'");
    }
    // Same form as the broker's own discovery (dir.resolve), so its records of the file match.
    Path file = dir.resolve(name);
    // Defence in depth: whatever the file system makes of the name, it must stay in the directory.
    Path base = dir.toAbsolutePath().normalize();
    if (!base.equals(file.toAbsolutePath().normalize().getParent())) {
      throw new HttpError(400, "\"file\" must be a bare file name in the plugin directory: '" + name + "'");
    }
    if (!Files.isRegularFile(file)) {
      throw new HttpError(400, "no plugin file '" + name + "' in the plugin directory; files there: "
          + pluginFiles(dir));
    }
    return file;
  }

  private static String pluginFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      String names = files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".plugin"))
          .sorted()
          .collect(Collectors.joining(", "));
      return names.isEmpty() ? "none" : names;
    } catch (IOException e) {
      return "(cannot list it: " + e.getMessage() + ")";
    }
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
          + "); fix it and load it with POST " + PLUGINS + " " + LOAD_BODY.replace("NAME.plugin", name));
    }
    String names = all.stream().map(PluginInfo::name).sorted().collect(Collectors.joining(", "));
    return new HttpError(404, "no plugin named '" + name + "'; plugins: "
        + (names.isEmpty() ? "none" : names));
  }

  private static HttpError notRunning(PluginInfo p) {
    return new HttpError(503, "plugin '" + p.name() + "' is " + p.state()
        + "; the agent may be shutting down");
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
