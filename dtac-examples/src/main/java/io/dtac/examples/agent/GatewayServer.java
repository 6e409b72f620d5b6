package io.dtac.examples.agent;

/**
 * A running HTTPS server that hands every request to the gateway as an {@link HttpCall}: the seam
 * that keeps the server ({@link JettyHttpsServer} today) replaceable without touching the routes.
 */
interface GatewayServer {
  /** The port it listens on (the chosen one when it was asked for port 0). */
  int port();

  /**
   * Stops listening, closes every connection and ends the server's threads; a request still being
   * served is cut off. Called once.
   */
  void stop();
}
