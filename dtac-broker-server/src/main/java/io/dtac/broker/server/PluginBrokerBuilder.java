package io.dtac.broker.server;

import io.dtac.broker.server.internal.BrokerConfig;
import io.dtac.broker.server.internal.CallChains;
import io.dtac.broker.server.internal.PluginSupervisor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Configures a {@link PluginBroker}: {@code PluginBroker.builder()...build()}. Every setting has a
 * default (see the README's Reliability and Security sections); values are validated by {@link
 * #build()}, which names the first invalid one. A built broker's configuration is an immutable
 * copy: changing this builder afterwards does not change it. Not thread-safe.
 */
public final class PluginBrokerBuilder {
  private Path pluginDirectory;
  private final Map<String, PluginConfig> pluginConfigs = new LinkedHashMap<>();
  private String host = "127.0.0.1";
  private int port = 0;
  private Duration handshakeTimeout = Duration.ofSeconds(30);
  private Duration callTimeout = Duration.ofSeconds(30);
  private Duration stopTimeout = Duration.ofSeconds(5);
  private boolean defaultSecure = true;
  private boolean unixSockets = true;
  private Path socketDirectory;
  private final Map<String, String> environment = new LinkedHashMap<>();
  private final List<PluginStateListener> listeners = new ArrayList<>();
  private AccessPolicy accessPolicy;
  private Path accessPolicyFile;
  private boolean watchAccessPolicyFile = true;
  /** null: TLS only where the kernel cannot attest callers. */
  private Boolean tlsEnabled;
  private boolean kernelIdentity = true;
  private Path tlsAuthorityCertificate;
  private Path tlsAuthorityKey;
  private Path auditFile;
  private Duration restartInitialDelay = Duration.ofSeconds(1);
  private Duration restartMaxDelay = Duration.ofSeconds(30);
  private int maxRestarts = 5;
  private Duration restartWindow = Duration.ofMinutes(10);
  private Duration healthCheckInterval = Duration.ofSeconds(5);
  private Duration healthCheckTimeout = Duration.ofSeconds(2);
  private int healthCheckFailures = 3;
  private int maxCallDepth = CallChains.DEFAULT_MAX_DEPTH;
  private int maxMessageSize = 4 * 1024 * 1024;
  private Duration drainTimeout = Duration.ofSeconds(10);
  private Object meterRegistry;
  private RateLimit callerLimit = DEFAULT_CALLER_LIMIT;
  private RateLimit targetLimit = DEFAULT_TARGET_LIMIT;
  private Object openTelemetry;

  /**
   * Each caller's default limit: 25,000 calls per second and 512 in flight; above what one
   * caller needs (the benchmark's busiest caller makes about 17,000 calls/s), below what lets
   * one caller take the broker from everyone else.
   */
  public static final RateLimit DEFAULT_CALLER_LIMIT = RateLimit.perSecond(25_000, 512);

  /** Each target plugin's default limit: 50,000 calls per second and 1,024 in flight. */
  public static final RateLimit DEFAULT_TARGET_LIMIT = RateLimit.perSecond(50_000, 1_024);

  PluginBrokerBuilder() {}

  /**
   * The access policy for plugin-to-plugin calls. Default: {@link AccessPolicy#allowAll()}.
   * Excludes {@link #accessPolicyFile(Path)}.
   *
   * @param policy the policy; not null
   * @return this builder
   */
  public PluginBrokerBuilder accessPolicy(AccessPolicy policy) {
    this.accessPolicy = Objects.requireNonNull(policy, "policy");
    return this;
  }

  /**
   * Reads the access policy from a JSON or YAML file (see {@link AccessPolicy#read(Path)}); it
   * is read by {@link #build()}, and again by {@link PluginBroker#reloadAccessPolicy()} and,
   * unless {@link #watchAccessPolicyFile(boolean) watchAccessPolicyFile(false)}, whenever the
   * file changes. Excludes {@link #accessPolicy(AccessPolicy)}.
   *
   * @param file the policy file, JSON or YAML
   * @return this builder
   */
  public PluginBrokerBuilder accessPolicyFile(Path file) {
    this.accessPolicyFile = Objects.requireNonNull(file, "file");
    return this;
  }

  /**
   * Whether a changed access policy file takes effect by itself; default true.
   *
   * @param watch true to reload the file when it changes
   * @return this builder
   */
  public PluginBrokerBuilder watchAccessPolicyFile(boolean watch) {
    this.watchAccessPolicyFile = watch;
    return this;
  }

  /**
   * Mutually authenticated TLS between the agent and its plugins, both ways, each side pinning
   * the other's exact certificate (see README "Encrypted hops"). Default: off where the kernel
   * attests both ends of every connection (Linux: Unix sockets and loopback TCP, see {@link
   * #kernelIdentity}), on elsewhere. With true, both hops use TLS in addition to the kernel's
   * attestation; with false, plaintext on loopback.
   *
   * @param enabled true: TLS on both hops; false: plaintext on loopback
   * @return this builder
   */
  public PluginBrokerBuilder tls(boolean enabled) {
    this.tlsEnabled = enabled;
    return this;
  }

  /**
   * Whether callers are identified by the kernel (default, where the OS offers it: the process
   * at the other end of the connection, see the README's Security section) or, with {@code
   * false}, by a per-launch credential handed to each plugin on its stdin. Turn it off only
   * where {@code /proc} is restricted (e.g. mounted with {@code hidepid}); on an OS without
   * {@code /proc/net/tcp} the credential is used anyway.
   *
   * @param enabled false to identify callers by a per-launch credential instead
   * @return this builder
   */
  public PluginBrokerBuilder kernelIdentity(boolean enabled) {
    this.kernelIdentity = enabled;
    return this;
  }


  /**
   * Issues the broker's and plugins' certificates from this CA instead of one generated for the
   * run: its certificate and its unencrypted private key, PEM files.
   *
   * @param certificatePem the CA's certificate, a PEM file
   * @param privateKeyPem the CA's unencrypted private key, a PEM file
   * @return this builder
   */
  public PluginBrokerBuilder tlsAuthority(Path certificatePem, Path privateKeyPem) {
    this.tlsAuthorityCertificate = Objects.requireNonNull(certificatePem, "certificatePem");
    this.tlsAuthorityKey = Objects.requireNonNull(privateKeyPem, "privateKeyPem");
    return this;
  }

  /**
   * Also appends each audit record as one JSON line to this file (created owner-only if
   * missing, never truncated). Default: audit records go to the SLF4J logger only.
   *
   * @param file the JSON-lines file
   * @return this builder
   */
  public PluginBrokerBuilder auditFile(Path file) {
    this.auditFile = Objects.requireNonNull(file, "file");
    return this;
  }

  /**
   * The directory whose {@code *.plugin} files are launched; none: no plugins are launched.
   *
   * @param dir the directory of plugin files
   * @return this builder
   */
  public PluginBrokerBuilder pluginDirectory(Path dir) {
    this.pluginDirectory = Objects.requireNonNull(dir, "dir");
    return this;
  }

  /**
   * Configures one plugin file; a later call for the same file replaces an earlier one.
   *
   * @param pluginConfig the configuration, naming its file stem
   * @return this builder
   */
  public PluginBrokerBuilder pluginConfig(PluginConfig pluginConfig) {
    pluginConfigs.put(pluginConfig.fileStem(), pluginConfig);
    return this;
  }

  /**
   * The address the broker's gRPC server binds; default 127.0.0.1 (loopback only).
   *
   * @param host a host name or address to bind
   * @return this builder
   */
  public PluginBrokerBuilder host(String host) {
    this.host = Objects.requireNonNull(host, "host");
    return this;
  }

  /**
   * The broker's port; default 0, an ephemeral port.
   *
   * @param port 0 to 65535; 0 for an ephemeral port
   * @return this builder
   */
  public PluginBrokerBuilder port(int port) {
    this.port = port;
    return this;
  }

  /**
   * How long a plugin has to print its handshake line, and then to answer Register; default
   * 30 s: a JVM plugin starts in about 1 s, but on a loaded 2-core machine it can take many
   * seconds, which the Go agent's 2 s would fail.
   *
   * @param timeout positive
   * @return this builder
   */
  public PluginBrokerBuilder handshakeTimeout(Duration timeout) {
    this.handshakeTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /**
   * The deadline of a brokered call whose caller set none; default 30 s.
   *
   * @param timeout positive
   * @return this builder
   */
  public PluginBrokerBuilder callTimeout(Duration timeout) {
    this.callTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /**
   * How long a plugin has to exit after SIGTERM before it is killed; default 5 s.
   *
   * @param timeout positive
   * @return this builder
   */
  public PluginBrokerBuilder stopTimeout(Duration timeout) {
    this.stopTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /**
   * Sent to plugins as {@code RegisterRequest.default_secure}; default true.
   *
   * @param secure the value sent
   * @return this builder
   */
  public PluginBrokerBuilder defaultSecure(boolean secure) {
    this.defaultSecure = secure;
    return this;
  }

  /**
   * Whether plugins that support it connect over Unix domain sockets (Linux with native epoll;
   * elsewhere always TCP); default true. Plugins that do not support it, such as existing Go
   * plugins, connect over loopback TCP either way. See docs/BENCHMARKS.md for what it saves.
   *
   * @param enabled false to reach every plugin over loopback TCP
   * @return this builder
   */
  public PluginBrokerBuilder unixSockets(boolean enabled) {
    this.unixSockets = enabled;
    return this;
  }

  /**
   * Where the broker creates its private socket directory (deleted by {@link
   * PluginBroker#close()}); default: the system's temporary directory. Socket paths are limited
   * to 107 bytes: with a longer path the broker falls back to TCP.
   *
   * @param parent the parent directory of the socket directory
   * @return this builder
   */
  public PluginBrokerBuilder socketDirectory(Path parent) {
    this.socketDirectory = Objects.requireNonNull(parent, "parent");
    return this;
  }

  /**
   * An extra environment variable for every plugin process.
   *
   * @param name the variable's name
   * @param value its value
   * @return this builder
   */
  public PluginBrokerBuilder environment(String name, String value) {
    environment.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
    return this;
  }

  /**
   * Observes every plugin state change.
   *
   * @param listener told of every state change
   * @return this builder
   */
  public PluginBrokerBuilder listener(PluginStateListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /**
   * How long a failed plugin waits before its restart: {@code initialDelay} the first time,
   * doubling with each restart within the restart window, at most {@code maxDelay}; defaults
   * 1 s and 30 s.
   *
   * @param initialDelay the delay before the first restart; positive
   * @param maxDelay the longest delay; not less than {@code initialDelay}
   * @return this builder
   */
  public PluginBrokerBuilder restartBackoff(Duration initialDelay, Duration maxDelay) {
    this.restartInitialDelay = Objects.requireNonNull(initialDelay, "initialDelay");
    this.restartMaxDelay = Objects.requireNonNull(maxDelay, "maxDelay");
    return this;
  }

  /**
   * At most {@code restarts} restarts of one plugin within {@code window}; after that it stays
   * FAILED until reloaded. Default 5 within 10 minutes; 0 disables restarting.
   *
   * @param restarts 0 or more; 0 disables restarting
   * @param window the sliding window the restarts are counted in; positive
   * @return this builder
   */
  public PluginBrokerBuilder maxRestarts(int restarts, Duration window) {
    this.maxRestarts = restarts;
    this.restartWindow = Objects.requireNonNull(window, "window");
    return this;
  }

  /**
   * How often each plugin's gRPC health service is checked; default 5 s; zero disables checks.
   *
   * @param interval zero to disable health checks
   * @return this builder
   */
  public PluginBrokerBuilder healthCheckInterval(Duration interval) {
    this.healthCheckInterval = Objects.requireNonNull(interval, "interval");
    return this;
  }

  /**
   * How long a health check may take before it counts as failed; default 2 s.
   *
   * @param timeout positive
   * @return this builder
   */
  public PluginBrokerBuilder healthCheckTimeout(Duration timeout) {
    this.healthCheckTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /**
   * How many health checks in a row must fail before a plugin is considered hung (FAILED,
   * killed and restarted); default 3.
   *
   * @param failures at least 1
   * @return this builder
   */
  public PluginBrokerBuilder healthCheckFailures(int failures) {
    this.healthCheckFailures = failures;
    return this;
  }

  /**
   * The most hops a call chain may have (agent -> A -> B is 2 hops); a call that would make it
   * longer is refused with FAILED_PRECONDITION. Default 8.
   *
   * @param depth at least 1
   * @return this builder
   */
  public PluginBrokerBuilder maxCallDepth(int depth) {
    this.maxCallDepth = depth;
    return this;
  }

  /**
   * The largest message, in bytes, the broker accepts from a caller or a plugin
   * (RESOURCE_EXHAUSTED beyond it); default 4 MiB, gRPC's default.
   *
   * @param bytes at least 1024
   * @return this builder
   */
  public PluginBrokerBuilder maxMessageSize(int bytes) {
    this.maxMessageSize = bytes;
    return this;
  }

  /**
   * How long {@link PluginBroker#close()} lets calls in flight finish; default 10 s.
   *
   * @param timeout positive
   * @return this builder
   */
  public PluginBrokerBuilder drainTimeout(Duration timeout) {
    this.drainTimeout = Objects.requireNonNull(timeout, "timeout");
    return this;
  }

  /**
   * How many calls each caller may start and have in flight, each caller on its own (the host's
   * own calls, e.g. the REST gateway's, count as caller {@code agent}). Default {@link
   * #DEFAULT_CALLER_LIMIT}; {@link RateLimit#UNLIMITED} turns it off. A call over it fails at once
   * with RESOURCE_EXHAUSTED naming the limit, and is audited (rule {@code rate-limit}).
   *
   * @param limit the limit of each caller
   * @return this builder
   */
  public PluginBrokerBuilder callerLimit(RateLimit limit) {
    this.callerLimit = Objects.requireNonNull(limit, "limit");
    return this;
  }

  /**
   * How many calls each target plugin may be sent and have in flight, whoever calls. Default
   * {@link #DEFAULT_TARGET_LIMIT}; {@link RateLimit#UNLIMITED} turns it off.
   *
   * @param limit the limit of each target
   * @return this builder
   */
  public PluginBrokerBuilder targetLimit(RateLimit limit) {
    this.targetLimit = Objects.requireNonNull(limit, "limit");
    return this;
  }

  /**
   * Measures brokered calls, plugins and the broker in this Micrometer registry (meter names and
   * tags: README "Observability"). Micrometer is an optional dependency of this library: add
   * {@code io.micrometer:micrometer-core} (or a registry such as {@code
   * micrometer-registry-prometheus}) to use this. Default: no metrics, and no cost.
   *
   * @param registry where the meters go
   * @return this builder
   */
  public PluginBrokerBuilder meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
    this.meterRegistry = Objects.requireNonNull(registry, "registry");
    return this;
  }

  /**
   * Traces brokered calls with this OpenTelemetry (span names and attributes: README
   * "Observability"): a span per call, continuing the caller's W3C trace context and carried on to
   * the target plugin. OpenTelemetry is an optional dependency of this library: add {@code
   * io.opentelemetry:opentelemetry-api} and an SDK to use this. Default: no spans, and no cost
   * (trace headers plugins send are then passed on by no one).
   *
   * @param openTelemetry the OpenTelemetry whose tracer makes the spans
   * @return this builder
   */
  public PluginBrokerBuilder openTelemetry(io.opentelemetry.api.OpenTelemetry openTelemetry) {
    this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
    return this;
  }

  /**
   * Builds the broker (not started): reads the access policy file and makes the run's TLS
   * material if TLS is in effect.
   *
   * @return a new broker; {@link PluginBroker#start()} starts it
   * @throws IllegalArgumentException naming the first invalid setting, or an unreadable or
   *     invalid access policy file
   */
  public PluginBroker build() {
    return new PluginBroker(
        new BrokerConfig(
            pluginDirectory,
            pluginConfigs,
            host,
            port,
            handshakeTimeout,
            callTimeout,
            stopTimeout,
            defaultSecure,
            unixSockets,
            socketDirectory,
            environment,
            listeners,
            accessPolicy,
            accessPolicyFile,
            watchAccessPolicyFile,
            tlsEnabled,
            kernelIdentity,
            tlsAuthorityCertificate,
            tlsAuthorityKey,
            auditFile,
            new PluginSupervisor.Policy(restartInitialDelay, restartMaxDelay, maxRestarts, restartWindow),
            healthCheckInterval,
            healthCheckTimeout,
            healthCheckFailures,
            maxCallDepth,
            maxMessageSize,
            drainTimeout,
            meterRegistry,
            openTelemetry,
            callerLimit,
            targetLimit));
  }
}
