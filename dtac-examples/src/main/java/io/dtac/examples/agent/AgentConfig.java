package io.dtac.examples.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.RateLimit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The example agent's configuration file ({@code dtac agent --config FILE}), a JSON object; every
 * key is optional and an unknown key is an error (a typo should not be silently ignored):
 *
 * <pre>{@code
 * {
 *   "port": 8180,                      // overridden by --port
 *   "plugins_dir": "plugins",          // overridden by --plugins; relative to this file
 *   "max_body_bytes": 1048576,         // larger request bodies are 413
 *   "call_timeout": "30s",             // a plugin call's deadline; longer is 504
 *   "handshake_timeout": "30s",        // how long a plugin may take to start
 *   "threads": 16,                     // requests served at once (the REST gateway's request slots)
 *   "max_requests_per_client": 8,      // of those, at most this many for one client (default: half)
 *   "max_connections": 1024,           // open HTTPS connections in all
 *   "max_connections_per_client": 256, // open HTTPS connections from one IP address
 *   "header_timeout": "10s",           // to a request's complete headers (from accept or the last answer)
 *   "request_timeout": "30s",          // from a request's first byte to the end of its body
 *   "idle_timeout": "30s",             // silence on a connection while a body is read or an answer written
 *   "access_policy_file": "policy.yaml", // who may call whom (JSON or YAML); reloaded on change
 *   "tls": true,                       // TLS between agent and plugins (default: the broker's)
 *   "metrics_port": 9464,              // GET /metrics (Prometheus) on 127.0.0.1 (default: none)
 *   "rate_limits": {                   // per caller and per target plugin (default: the broker's)
 *     "per_caller": {"calls": 1000, "per": "1s", "max_in_flight": 64},
 *     "per_target": {"calls": 5000, "per": "1s", "max_in_flight": 256}
 *   },
 *   "logs": {"max_file_size": "10MB", ...}, // log rotation and plugin log rate: see LogSettings
 *   "plugins": {                       // per plugin file, by its name without ".plugin"
 *     "hello": {
 *       "enabled": true,
 *       "root_path": "hello",          // serve under /plugins/ROOT_PATH instead of its own
 *       "sha256": "...",               // refuse to launch a file with another hash
 *       "user": "nobody",              // run it as this OS user (the agent must be root)
 *       "group": "nogroup",            // and this group (default: the user's)
 *       "config": {"message": "Hi"}    // handed to the plugin in RegisterRequest.config
 *     }
 *   }
 * }
 * }</pre>
 *
 * Immutable.
 */
final class AgentConfig {
  static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
  static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);
  static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
  private static final Set<String> KEYS =
      Set.of("port", "plugins_dir", "max_body_bytes", "call_timeout", "handshake_timeout",
          "threads", "plugins", "access_policy_file", "tls", "metrics_port", "rate_limits", "logs",
          "max_requests_per_client", "max_connections", "max_connections_per_client",
          "header_timeout", "request_timeout", "idle_timeout");
  private static final Set<String> PLUGIN_KEYS = Set.of("enabled", "root_path", "sha256", "config", "user", "group");
  private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s|m|h|d)");

  private final OptionalInt port;
  private final Optional<Path> pluginsDir;
  private final long maxBodyBytes;
  private final Duration callTimeout;
  private final Duration handshakeTimeout;
  private final GatewayLimits gatewayLimits;
  private final List<PluginConfig> plugins;
  private Optional<Path> accessPolicyFile = Optional.empty();
  /** null: the broker's default (TLS only where the kernel cannot attest callers). */
  private Boolean tls;
  private OptionalInt metricsPort = OptionalInt.empty();
  private Optional<RateLimit> callerLimit = Optional.empty();
  private Optional<RateLimit> targetLimit = Optional.empty();
  private LogSettings logs = LogSettings.DEFAULTS;

  private AgentConfig(
      OptionalInt port,
      Optional<Path> pluginsDir,
      long maxBodyBytes,
      Duration callTimeout,
      Duration handshakeTimeout,
      GatewayLimits gatewayLimits,
      List<PluginConfig> plugins) {
    this.port = port;
    this.pluginsDir = pluginsDir;
    this.maxBodyBytes = maxBodyBytes;
    this.callTimeout = callTimeout;
    this.handshakeTimeout = handshakeTimeout;
    this.gatewayLimits = gatewayLimits;
    this.plugins = List.copyOf(plugins);
  }

  /** The configuration without a file. */
  static AgentConfig defaults() {
    return new AgentConfig(OptionalInt.empty(), Optional.empty(), DEFAULT_MAX_BODY_BYTES,
        DEFAULT_CALL_TIMEOUT, DEFAULT_HANDSHAKE_TIMEOUT, GatewayLimits.defaults(), List.of());
  }

  /**
   * Reads a configuration file.
   *
   * @throws IllegalArgumentException whose message names the file and the offending key
   */
  static AgentConfig read(Path file) {
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException("config file " + file + " does not exist");
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("config file " + file + " is not valid JSON: "
          + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read config file " + file + ": " + e);
    }
    String where = "config file " + file;
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(where + " must hold a JSON object");
    }
    requireKnownKeys(where, root, KEYS);
    OptionalInt port = OptionalInt.empty();
    if (root.has("port")) {
      port = OptionalInt.of((int) integer(where, root, "port", 0, 65535));
    }
    Optional<Path> pluginsDir = Optional.empty();
    if (root.has("plugins_dir")) {
      Path base = file.toAbsolutePath().getParent();
      pluginsDir = Optional.of(base.resolve(text(where, root, "plugins_dir")).normalize());
    }
    long maxBody = root.has("max_body_bytes")
        ? integer(where, root, "max_body_bytes", 0, Integer.MAX_VALUE - 8)
        : DEFAULT_MAX_BODY_BYTES;
    Duration call = root.has("call_timeout")
        ? duration(where + ": call_timeout", text(where, root, "call_timeout"))
        : DEFAULT_CALL_TIMEOUT;
    Duration handshake = root.has("handshake_timeout")
        ? duration(where + ": handshake_timeout", text(where, root, "handshake_timeout"))
        : DEFAULT_HANDSHAKE_TIMEOUT;
    GatewayLimits gatewayLimits = gatewayLimits(where, root);
    List<PluginConfig> plugins = new ArrayList<>();
    if (root.has("plugins")) {
      JsonNode all = root.get("plugins");
      if (!all.isObject()) {
        throw new IllegalArgumentException(where + ": 'plugins' must be an object keyed by plugin"
            + " file name without '.plugin', e.g. {\"hello\": {\"config\": {\"message\": \"Hi\"}}}");
      }
      for (Map.Entry<String, JsonNode> e : all.properties()) {
        plugins.add(plugin(where + ": plugins." + e.getKey(), e.getKey(), e.getValue()));
      }
    }
    AgentConfig config = new AgentConfig(port, pluginsDir, maxBody, call, handshake, gatewayLimits, plugins);
    if (root.has("access_policy_file")) {
      config.accessPolicyFile = Optional.of(
          file.toAbsolutePath().getParent().resolve(text(where, root, "access_policy_file")).normalize());
    }
    if (root.has("tls")) {
      if (!root.get("tls").isBoolean()) {
        throw new IllegalArgumentException(where + ": 'tls' must be true or false");
      }
      config.tls = root.get("tls").booleanValue();
    }
    if (root.has("rate_limits")) {
      JsonNode limits = root.get("rate_limits");
      String at = where + ": rate_limits";
      if (!limits.isObject()) {
        throw new IllegalArgumentException(at + " must be an object with per_caller and/or per_target");
      }
      requireKnownKeys(at, limits, Set.of("per_caller", "per_target"));
      config.callerLimit = rateLimit(at + ".per_caller", limits.get("per_caller"));
      config.targetLimit = rateLimit(at + ".per_target", limits.get("per_target"));
    }
    if (root.has("metrics_port")) {
      config.metricsPort = OptionalInt.of((int) integer(where, root, "metrics_port", 0, 65535));
    }
    if (root.has("logs")) {
      config.logs = LogSettings.read(where + ": logs", root.get("logs"));
    }
    return config;
  }

  /** The access policy file (relative paths are relative to the config file), if any. */
  Optional<Path> accessPolicyFile() {
    return accessPolicyFile;
  }

  /** Log rotation and each plugin's log rate. */
  LogSettings logs() {
    return logs;
  }

  /** TLS between agent and plugins as configured; empty: the broker's default. */
  java.util.Optional<Boolean> tls() {
    return java.util.Optional.ofNullable(tls);
  }

  private static GatewayLimits gatewayLimits(String where, JsonNode root) {
    GatewayLimits.Builder b = GatewayLimits.builder();
    if (root.has("threads")) {
      b.threads((int) integer(where, root, "threads", 1, GatewayLimits.MAX_THREADS));
    }
    if (root.has("max_requests_per_client")) {
      b.maxRequestsPerClient((int) integer(where, root, "max_requests_per_client", 1, GatewayLimits.MAX_THREADS));
    }
    if (root.has("max_connections")) {
      b.maxConnections((int) integer(where, root, "max_connections", 1, GatewayLimits.MAX_CONNECTIONS));
    }
    if (root.has("max_connections_per_client")) {
      b.maxConnectionsPerClient(
          (int) integer(where, root, "max_connections_per_client", 1, GatewayLimits.MAX_CONNECTIONS));
    }
    if (root.has("header_timeout")) {
      b.headerTimeout(duration(where + ": header_timeout", text(where, root, "header_timeout")));
    }
    if (root.has("request_timeout")) {
      b.requestTimeout(duration(where + ": request_timeout", text(where, root, "request_timeout")));
    }
    if (root.has("idle_timeout")) {
      b.idleTimeout(duration(where + ": idle_timeout", text(where, root, "idle_timeout")));
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static PluginConfig plugin(String where, String stem, JsonNode node) {
    if (!node.isObject()) {
      throw new IllegalArgumentException(where + " must be an object");
    }
    requireKnownKeys(where, node, PLUGIN_KEYS);
    PluginConfig.Builder b = PluginConfig.builder(stem);
    if (node.has("enabled")) {
      if (!node.get("enabled").isBoolean()) {
        throw new IllegalArgumentException(where + ".enabled must be true or false");
      }
      b.enabled(node.get("enabled").booleanValue());
    }
    if (node.has("root_path")) {
      b.rootPath(text(where, node, "root_path"));
    }
    if (node.has("sha256")) {
      b.expectedSha256(text(where, node, "sha256"));
    }
    if (node.has("user")) {
      b.user(text(where, node, "user"));
    }
    if (node.has("group")) {
      b.group(text(where, node, "group"));
    }
    if (node.has("config")) {
      if (!node.get("config").isObject()) {
        throw new IllegalArgumentException(where + ".config must be a JSON object");
      }
      b.configJson(node.get("config").toString());
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  static void requireKnownKeys(String where, JsonNode node, Set<String> known) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!known.contains(key)) {
        throw new IllegalArgumentException(
            where + ": unknown key '" + key + "'; known keys: " + String.join(", ", new TreeSet<>(known)));
      }
    }
  }

  static String text(String where, JsonNode node, String key) {
    JsonNode v = node.get(key);
    if (!v.isTextual() || v.asText().isBlank()) {
      throw new IllegalArgumentException(where + ": '" + key + "' must be a non-empty string, got " + v);
    }
    return v.asText();
  }

  static long integer(String where, JsonNode node, String key, long min, long max) {
    JsonNode v = node.get(key);
    if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < min || v.asLong() > max) {
      throw new IllegalArgumentException(
          where + ": '" + key + "' must be an integer from " + min + " to " + max + ", got " + v);
    }
    return v.asLong();
  }

  /**
   * Parses a duration written as a number and a unit: {@code 500ms}, {@code 30s}, {@code 5m},
   * {@code 12h}, {@code 7d}.
   *
   * @throws IllegalArgumentException naming {@code what} and the accepted forms
   */
  static Duration duration(String what, String text) {
    Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(
          what + " must be a number and a unit (ms, s, m, h, d), e.g. 30s or 12h; got '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    Duration d;
    switch (m.group(2)) {
      case "ms":
        d = Duration.ofMillis(n);
        break;
      case "s":
        d = Duration.ofSeconds(n);
        break;
      case "m":
        d = Duration.ofMinutes(n);
        break;
      case "h":
        d = Duration.ofHours(n);
        break;
      default:
        d = Duration.ofDays(n);
        break;
    }
    if (d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, got '" + text + "'");
    }
    return d;
  }

  OptionalInt port() {
    return port;
  }

  Optional<Path> pluginsDir() {
    return pluginsDir;
  }

  long maxBodyBytes() {
    return maxBodyBytes;
  }

  Duration callTimeout() {
    return callTimeout;
  }

  Duration handshakeTimeout() {
    return handshakeTimeout;
  }

  int threads() {
    return gatewayLimits.threads();
  }

  /** The REST gateway's limits: request slots, connections, timeouts. */
  GatewayLimits gatewayLimits() {
    return gatewayLimits;
  }

  private static Optional<RateLimit> rateLimit(String at, JsonNode node) {
    if (node == null) {
      return Optional.empty();
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException(at + " must be an object, e.g. {\"calls\": 1000, \"per\": \"1s\", \"max_in_flight\": 64}");
    }
    try {
      return Optional.of(RateLimit.parse(JSON.convertValue(node, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {})));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
    }
  }

  /** Each caller's rate limit, if configured (else the broker's default). */
  Optional<RateLimit> callerLimit() {
    return callerLimit;
  }

  /** Each target plugin's rate limit, if configured (else the broker's default). */
  Optional<RateLimit> targetLimit() {
    return targetLimit;
  }

  /**
   * The loopback port of the Prometheus {@code GET /metrics} endpoint (0: a free one); empty: no
   * metrics endpoint (the default).
   */
  OptionalInt metricsPort() {
    return metricsPort;
  }

  /** The per-plugin configurations, in file order. */
  List<PluginConfig> plugins() {
    return plugins;
  }
}
