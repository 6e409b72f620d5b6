package io.dtac.broker.server.internal;

import io.dtac.broker.api.peer.TcpSocketOwner;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.RateLimit;
import io.dtac.broker.server.PluginStateListener;
import io.dtac.broker.server.internal.observability.BrokerMetrics;
import io.dtac.broker.server.internal.observability.CallTracing;
import io.dtac.broker.server.internal.observability.MicrometerMetrics;
import io.dtac.broker.server.internal.observability.OpenTelemetryTracing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A broker's settings, immutable and valid: what {@code PluginBrokerBuilder.build()} produces. The
 * constructor validates every value and names the first invalid one; collections are copied, so
 * changing the builder afterwards changes no built broker. Nullable components are optional
 * settings left unset.
 *
 * @param tlsEnabled null: TLS only where the kernel cannot attest callers
 * @param meterRegistry a Micrometer {@code MeterRegistry}, or null: typed Object so that this
 *     class loads without Micrometer, an optional dependency
 * @param openTelemetry an {@code OpenTelemetry}, or null; Object for the same reason
 * @param callerLimit each caller's rate limit
 * @param targetLimit each target plugin's rate limit
 */
public record BrokerConfig(
    Path pluginDirectory,
    Map<String, PluginConfig> pluginConfigs,
    String host,
    int port,
    Duration handshakeTimeout,
    Duration callTimeout,
    Duration stopTimeout,
    boolean defaultSecure,
    boolean unixSockets,
    Path socketDirectory,
    Map<String, String> environment,
    List<PluginStateListener> listeners,
    AccessPolicy accessPolicy,
    Path accessPolicyFile,
    boolean watchAccessPolicyFile,
    Boolean tlsEnabled,
    boolean kernelIdentity,
    Path tlsAuthorityCertificate,
    Path tlsAuthorityKey,
    Path auditFile,
    PluginSupervisor.Policy restarts,
    Duration healthCheckInterval,
    Duration healthCheckTimeout,
    int healthCheckFailures,
    int maxCallDepth,
    int maxMessageSize,
    Duration drainTimeout,
    Object meterRegistry,
    Object openTelemetry,
    RateLimit callerLimit,
    RateLimit targetLimit) {

  /** @throws IllegalArgumentException naming the first invalid setting */
  public BrokerConfig {
    pluginConfigs = Collections.unmodifiableMap(new LinkedHashMap<>(pluginConfigs));
    environment = Collections.unmodifiableMap(new LinkedHashMap<>(environment));
    listeners = List.copyOf(listeners);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0 (ephemeral) to 65535, got " + port);
    }
    requirePositive("handshakeTimeout", handshakeTimeout);
    requirePositive("callTimeout", callTimeout);
    requirePositive("stopTimeout", stopTimeout);
    requirePositive("restartBackoff initialDelay", restarts.initialDelay());
    if (restarts.maxDelay().compareTo(restarts.initialDelay()) < 0) {
      throw new IllegalArgumentException(
          "restartBackoff maxDelay (" + restarts.maxDelay() + ") must not be less than initialDelay ("
              + restarts.initialDelay() + ")");
    }
    if (restarts.maxRestarts() < 0) {
      throw new IllegalArgumentException(
          "maxRestarts must be 0 (never restart) or more, got " + restarts.maxRestarts());
    }
    requirePositive("maxRestarts window", restarts.window());
    if (healthCheckInterval.isNegative()) {
      throw new IllegalArgumentException(
          "healthCheckInterval must be positive, or zero to disable checks; got " + healthCheckInterval);
    }
    requirePositive("healthCheckTimeout", healthCheckTimeout);
    if (healthCheckFailures < 1) {
      throw new IllegalArgumentException("healthCheckFailures must be at least 1, got " + healthCheckFailures);
    }
    if (maxCallDepth < 1) {
      throw new IllegalArgumentException("maxCallDepth must be at least 1, got " + maxCallDepth);
    }
    if (maxMessageSize < 1024) {
      throw new IllegalArgumentException("maxMessageSize must be at least 1024 bytes, got " + maxMessageSize);
    }
    requirePositive("drainTimeout", drainTimeout);
    if (accessPolicy != null && accessPolicyFile != null) {
      throw new IllegalArgumentException("set either accessPolicy(...) or accessPolicyFile(...), not both");
    }
    if (tlsEnabled != null && !tlsEnabled && tlsAuthorityCertificate != null) {
      throw new IllegalArgumentException(
          "tlsAuthority(...) is set but tls(false) turns TLS off; drop one of them");
    }
  }

  private static void requirePositive(String name, Duration d) {
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be positive, got " + d);
    }
  }

  /** Whether the kernel attests callers with these settings on this OS. */
  public boolean kernelIdentityInEffect() {
    return kernelIdentity && TcpSocketOwner.available();
  }

  /** TLS as set, or by default only where the kernel cannot attest both ends of a connection. */
  public boolean tlsInEffect() {
    return tlsEnabled != null ? tlsEnabled : !kernelIdentityInEffect();
  }

  /** The configuration of plugin file {@code stem}: the one set for it, else the defaults. */
  public PluginConfig pluginConfig(String stem) {
    return pluginConfigs.getOrDefault(stem, PluginConfig.defaults(stem));
  }

  /**
   * The access policy engine these settings describe: the file's (read now), the fixed policy, or
   * allow-all.
   *
   * @throws IllegalArgumentException if the policy file is unreadable or invalid
   */
  public PolicyEngine newPolicyEngine() {
    return accessPolicyFile != null
        ? PolicyEngine.fromFile(accessPolicyFile)
        : PolicyEngine.fixed(accessPolicy != null ? accessPolicy : AccessPolicy.allowAll());
  }

  /**
   * The broker's metrics: Micrometer's when a registry is set, else none (no Micrometer class is
   * loaded then).
   *
   * @param plugins the loaded plugin of a name, or null
   */
  public BrokerMetrics newMetrics(Function<String, LoadedPlugin> plugins) {
    return meterRegistry == null
        ? BrokerMetrics.NONE
        : new MicrometerMetrics((io.micrometer.core.instrument.MeterRegistry) meterRegistry, plugins);
  }

  /** The broker's tracing: OpenTelemetry's when set, else none (no OpenTelemetry class is loaded then). */
  public CallTracing newTracing() {
    return openTelemetry == null
        ? CallTracing.NONE
        : new OpenTelemetryTracing((io.opentelemetry.api.OpenTelemetry) openTelemetry);
  }

  /** The run's TLS material when TLS is in effect (generated, or from the configured CA); else null. */
  public TlsMaterial newTlsMaterial() {
    if (!tlsInEffect() && tlsAuthorityCertificate == null) {
      return null;
    }
    List<String> hosts = TlsMaterial.hostsFor(host);
    return tlsAuthorityCertificate != null
        ? TlsMaterial.fromAuthority(tlsAuthorityCertificate, tlsAuthorityKey, hosts)
        : TlsMaterial.generate(hosts);
  }
}
