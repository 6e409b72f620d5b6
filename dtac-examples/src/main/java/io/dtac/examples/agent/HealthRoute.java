package io.dtac.examples.agent;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * {@code GET /health}: whether the agent is live (it answers) and ready (its plugins are loaded and
 * it routes requests). Needs no token and tells nothing about the plugins. 200 when ready; 503
 * while starting (with {@code Retry-After}) or stopping, its body then also an error of the
 * gateway's shape: {@code {"live": true, "ready": false, "state": "starting", "error": "...", "status": 503}}.
 * Stateless.
 */
final class HealthRoute {
  static final String PATH = "/health";

  /** Where the gateway is in its life. */
  enum State {
    STARTING("starting"),
    READY("ready"),
    STOPPING("stopping");

    private final String wire;

    State(String wire) {
      this.wire = wire;
    }
  }

  /** The 503 a request other than {@code GET /health} gets while the agent starts. */
  static final String STARTING_MESSAGE =
      "the agent is starting: its plugins are still loading; retry in a moment (GET /health says when it is ready)";

  private HealthRoute() {}

  static boolean matches(String path) {
    return PATH.equals(path);
  }

  /**
   * The answer to a request for {@link #PATH}.
   *
   * @throws HttpError 405 for a method other than GET
   */
  static JsonAnswer answer(String method, State state) throws HttpError {
    HttpError.requireMethod(method, PATH, "GET");
    ObjectNode body = GatewayJson.object();
    body.put("live", true);
    body.put("ready", state == State.READY);
    body.put("state", state.wire);
    if (state == State.READY) {
      return new JsonAnswer(200, body);
    }
    boolean starting = state == State.STARTING;
    body.put("error", starting ? STARTING_MESSAGE : RestGateway.STOPPING_MESSAGE);
    body.put("status", 503);
    return new JsonAnswer(503, body, starting ? HttpError.RETRY_SOON : Map.of());
  }

  /** The 503 for any other request while the agent starts. */
  static HttpError starting() {
    return HttpError.retrySoon(503, STARTING_MESSAGE);
  }
}
