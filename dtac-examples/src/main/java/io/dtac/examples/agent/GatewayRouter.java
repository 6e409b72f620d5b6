package io.dtac.examples.agent;

import io.dtac.core.PluginCallException;
import io.dtac.core.Response;

/**
 * Which part of the gateway answers a request, and when a token is required: {@code GET /plugins}
 * (the listing), {@code /admin/...} ({@link AdminRoutes}), {@code /plugins/ROOT_PATH/PATH} (a
 * plugin endpoint, through {@link EndpointMapping}), or 404.
 *
 * <p>The listing and every admin route need a valid token before anything else is looked at. A
 * plugin endpoint needs one if it is secure; and so does any refusal under {@code /plugins}, so that
 * a caller without a token learns nothing about the routes but a 401. Thread-safe; a plugin call
 * blocks the calling thread until it answers.
 */
final class GatewayRouter {
  /** Where a request path leads, before any method or token is looked at. */
  enum Destination {
    /** {@code /plugins} or {@code /plugins/}. */
    LISTING,
    /** {@code /admin} and everything under it. */
    ADMIN,
    /** Anything else under {@code /plugins/}. */
    ENDPOINT,
    /** Anything else. */
    NONE;

    static Destination of(String path) {
      if (path.equals(LISTING_PATH) || path.equals(Routes.PREFIX)) {
        return LISTING;
      }
      if (AdminRoutes.matches(path)) {
        return ADMIN;
      }
      return path.startsWith(Routes.PREFIX) ? ENDPOINT : NONE;
    }
  }

  private static final String LISTING_PATH = "/plugins";

  private final GatewayBackend backend;
  private final BearerAuth auth;
  private final RequestBody bodies;
  private final AdminRoutes admin;

  GatewayRouter(GatewayBackend backend, BearerAuth auth, RequestBody bodies) {
    this.backend = backend;
    this.auth = auth;
    this.bodies = bodies;
    this.admin = new AdminRoutes(backend);
  }

  /**
   * Serves {@code call} and answers it, unless it throws.
   *
   * @return the status sent
   * @throws HttpError for the caller, not answered yet
   * @throws PluginCallException the plugin call failed, not answered yet
   */
  int serve(HttpCall call) throws HttpError, PluginCallException {
    String method = call.method();
    String path = call.path();
    BearerTokens.Verdict verdict = auth.verify(call);
    switch (Destination.of(path)) {
      case LISTING:
        BearerAuth.require(verdict);
        HttpError.requireMethod(method, LISTING_PATH, "GET");
        return ResponseWriter.json(call, new JsonAnswer(200, PluginJson.listing(backend.plugins(), false)));
      case ADMIN:
        // Whatever the plugins' endpoints say about security, administration always needs a token.
        BearerAuth.require(verdict);
        return ResponseWriter.json(call, admin.serve(method, path, () -> bodies.read(call)));
      case ENDPOINT:
        return callEndpoint(call, verdict);
      default:
        throw new HttpError(404, "no route " + path
            + "; plugin endpoints are under /plugins, administration under /admin");
    }
  }

  private int callEndpoint(HttpCall call, BearerTokens.Verdict verdict)
      throws HttpError, PluginCallException {
    Routes.Route route;
    try {
      route = Routes.resolve(backend.plugins(), call.method(), call.path());
    } catch (HttpError e) {
      BearerAuth.require(verdict);
      throw e;
    }
    if (route.endpoint().secure()) {
      BearerAuth.require(verdict);
    }
    byte[] body = bodies.read(call);
    Response response = backend.call(route.plugin().name(), route.endpoint().path(), route.action(),
        EndpointMapping.toRequest(call, body));
    return EndpointMapping.send(call, response);
  }
}
