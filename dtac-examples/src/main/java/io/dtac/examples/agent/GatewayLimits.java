package io.dtac.examples.agent;

import java.time.Duration;
import java.util.Objects;

/**
 * What the REST gateway lets its clients hold: request slots, connections and time. Each limit has
 * a default safe on a hostile network and a key in the agent's configuration file (named in the
 * messages a limit produces, so that a refused client or its operator knows what to change).
 * Immutable; {@link Builder#build()} validates.
 *
 * <ul>
 *   <li>{@code threads}: requests served at once, each on its own thread while its plugin works;
 *       the server's pool has {@link #SPARE_THREADS} more for TLS, parsing and refusals.
 *   <li>{@code max_requests_per_client}: of those, how many one client may hold; a client is its
 *       bearer token, or its IP address without a valid one.
 *   <li>{@code max_connections}: open connections in all; beyond, new ones wait in the kernel's
 *       accept queue until one closes.
 *   <li>{@code max_connections_per_client}: open connections from one IP address; beyond, a new one
 *       is closed at once.
 *   <li>{@code header_timeout}: from a connection's accept (TLS handshake included), and from each
 *       answer on a kept-alive connection, until the next request's headers are complete; then the
 *       connection is closed.
 *   <li>{@code request_timeout}: from a request's first byte until its whole body has arrived; then
 *       it is answered 408 and the connection closed.
 *   <li>{@code idle_timeout}: how long a connection may stay silent while a body is read or an
 *       answer is written; then it is closed.
 * </ul>
 */
final class GatewayLimits {
  static final int DEFAULT_THREADS = 16;
  static final int DEFAULT_MAX_CONNECTIONS = 1024;
  static final int DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 256;
  static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
  static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
  static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
  /** Threads beyond {@code threads}: the TLS handshakes, parsing and refusals never wait on a plugin. */
  static final int SPARE_THREADS = 8;
  /** The largest {@code threads} and connection limits accepted. */
  static final int MAX_THREADS = 1024;
  static final int MAX_CONNECTIONS = 65536;

  private final int threads;
  private final int maxRequestsPerClient;
  private final int maxConnections;
  private final int maxConnectionsPerClient;
  private final Duration headerTimeout;
  private final Duration requestTimeout;
  private final Duration idleTimeout;

  private GatewayLimits(Builder b, int maxRequestsPerClient) {
    this.threads = b.threads;
    this.maxRequestsPerClient = maxRequestsPerClient;
    this.maxConnections = b.maxConnections;
    this.maxConnectionsPerClient = b.maxConnectionsPerClient;
    this.headerTimeout = b.headerTimeout;
    this.requestTimeout = b.requestTimeout;
    this.idleTimeout = b.idleTimeout;
  }

  static GatewayLimits defaults() {
    return builder().build();
  }

  static Builder builder() {
    return new Builder();
  }

  int threads() {
    return threads;
  }

  int maxRequestsPerClient() {
    return maxRequestsPerClient;
  }

  int maxConnections() {
    return maxConnections;
  }

  int maxConnectionsPerClient() {
    return maxConnectionsPerClient;
  }

  Duration headerTimeout() {
    return headerTimeout;
  }

  Duration requestTimeout() {
    return requestTimeout;
  }

  Duration idleTimeout() {
    return idleTimeout;
  }

  /** The server's thread pool: {@code threads} for requests and {@link #SPARE_THREADS} more. */
  int poolThreads() {
    return threads + SPARE_THREADS;
  }

  /**
   * The most tasks the pool queues while every thread is busy; beyond, the server closes the
   * connection it could not serve. One per connection it may hold, and at least 64.
   */
  int poolQueue() {
    return Math.max(64, maxConnections);
  }

  /** Sets each limit; every one is optional. */
  static final class Builder {
    private int threads = DEFAULT_THREADS;
    private Integer maxRequestsPerClient;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;
    private int maxConnectionsPerClient = DEFAULT_MAX_CONNECTIONS_PER_CLIENT;
    private Duration headerTimeout = DEFAULT_HEADER_TIMEOUT;
    private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;

    private Builder() {}

    /** Requests served at once. Default 16. */
    Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    /** Requests one client may have served at once. Default: half of {@code threads}, rounded up. */
    Builder maxRequestsPerClient(int max) {
      this.maxRequestsPerClient = max;
      return this;
    }

    /** Open connections in all. Default 1024. */
    Builder maxConnections(int max) {
      this.maxConnections = max;
      return this;
    }

    /** Open connections from one IP address. Default 256. */
    Builder maxConnectionsPerClient(int max) {
      this.maxConnectionsPerClient = max;
      return this;
    }

    /** Default 10 s. */
    Builder headerTimeout(Duration timeout) {
      this.headerTimeout = Objects.requireNonNull(timeout, "headerTimeout");
      return this;
    }

    /** Default 30 s. */
    Builder requestTimeout(Duration timeout) {
      this.requestTimeout = Objects.requireNonNull(timeout, "requestTimeout");
      return this;
    }

    /** Default 30 s. */
    Builder idleTimeout(Duration timeout) {
      this.idleTimeout = Objects.requireNonNull(timeout, "idleTimeout");
      return this;
    }

    /** @throws IllegalArgumentException naming the configuration key at fault and what it must be */
    GatewayLimits build() {
      requireRange("threads", threads, 1, MAX_THREADS, "");
      int perClient = maxRequestsPerClient == null ? (threads + 1) / 2 : maxRequestsPerClient;
      requireRange("max_requests_per_client", perClient, 1, threads, " (at most threads)");
      requireRange("max_connections", maxConnections, 1, MAX_CONNECTIONS, "");
      requireRange("max_connections_per_client", maxConnectionsPerClient, 1, maxConnections,
          " (at most max_connections)");
      requirePositive("header_timeout", headerTimeout);
      requirePositive("request_timeout", requestTimeout);
      requirePositive("idle_timeout", idleTimeout);
      if (headerTimeout.compareTo(requestTimeout) > 0) {
        throw new IllegalArgumentException("header_timeout (" + headerTimeout.toMillis()
            + " ms) must not be longer than request_timeout (" + requestTimeout.toMillis()
            + " ms): the request's time includes its headers");
      }
      return new GatewayLimits(this, perClient);
    }

    private static void requireRange(String key, int value, int min, int max, String why) {
      if (value < min || value > max) {
        throw new IllegalArgumentException(
            key + " must be from " + min + " to " + max + why + ", got " + value);
      }
    }

    private static void requirePositive(String key, Duration d) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(key + " must be positive, got " + d);
      }
    }
  }
}
