package io.dtac.examples.agent;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginBrokerBuilder;
import io.dtac.broker.server.PluginStateListener;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One running example agent: the plugin broker (and through it every plugin process) plus the
 * REST gateway in front of it. {@link #start()} binds the gateway's port before launching any
 * plugin, so a port in use fails fast; {@link #close()} stops the gateway first (letting requests
 * in flight finish) and then every plugin. Thread-safe; {@code close()} is idempotent and may run
 * on a shutdown hook while {@code start()} is still launching plugins.
 */
final class Agent implements AutoCloseable {
  private final PluginBroker broker;
  private final RestGateway gateway;
  private final AgentObservability observability;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Set once the broker has loaded every plugin: the gateway routes requests from then on. */
  private final AtomicBoolean ready = new AtomicBoolean();

  /**
   * Configures an agent without starting anything.
   *
   * @throws IllegalArgumentException if a setting is invalid
   */
  Agent(
      Path pluginsDir,
      int port,
      AgentConfig config,
      BearerTokens tokens,
      SelfSignedCertificate certificate,
      PluginStateListener listener,
      AgentObservability observability) {
    this.observability = Objects.requireNonNull(observability, "observability");
    Objects.requireNonNull(pluginsDir, "pluginsDir");
    PluginBrokerBuilder b =
        PluginBroker.builder()
            .pluginDirectory(pluginsDir)
            .callTimeout(config.callTimeout())
            .handshakeTimeout(config.handshakeTimeout())
            .pluginLogRate(config.logs().pluginRecordsPerSecond(), config.logs().pluginBurst())
            .listener(listener);
    config.tls().ifPresent(b::tls);
    config.accessPolicyFile().ifPresent(b::accessPolicyFile);
    config.plugins().forEach(b::pluginConfig);
    config.callerLimit().ifPresent(b::callerLimit);
    config.targetLimit().ifPresent(b::targetLimit);
    observability.configure(b);
    this.broker = b.build();
    this.gateway =
        RestGateway.builder()
            .backend(GatewayBackend.of(broker, pluginsDir, config.accessPolicyFile()))
            .tokens(tokens)
            .sslContext(certificate.serverContext())
            .port(port)
            .maxBodyBytes(config.maxBodyBytes())
            .limits(config.gatewayLimits())
            .readiness(ready::get)
            .openTelemetry(observability.openTelemetry())
            .build();
  }

  /**
   * Binds the gateway, then launches the plugins; returns when each plugin is RUNNING or FAILED.
   * Until then the gateway answers every request but {@code GET /health} with 503 (the agent is
   * starting), never with a 404 for a plugin still loading.
   *
   * @throws IOException if the port cannot be bound or the plugin directory read; nothing is
   *     left running then
   */
  Agent start() throws IOException {
    try {
      gateway.start();
      observability.start();
      broker.start();
      ready.set(true);
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
    return this;
  }

  PluginBroker broker() {
    return broker;
  }

  /** The metrics endpoint's port, or -1 without one. */
  int metricsPort() {
    return observability.metricsPort();
  }

  /** The gateway's port. */
  int port() {
    return gateway.port();
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      gateway.close();
      broker.close();
      observability.close();
    }
  }
}
