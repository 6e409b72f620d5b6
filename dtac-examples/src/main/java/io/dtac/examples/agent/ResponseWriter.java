package io.dtac.examples.agent;

import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the gateway's answers. Every answer carries {@code X-Content-Type-Options: nosniff} and
 * {@code Cache-Control: no-store}; a client that went away is logged at debug level, not thrown.
 * Each method returns the status sent, for the access log. Stateless.
 */
final class ResponseWriter {
  /** The headers every answer carries, also those the HTTP server makes itself. */
  static final Map<String, String> EVERY_ANSWER =
      Map.of("X-Content-Type-Options", "nosniff", "Cache-Control", "no-store");

  private static final Logger LOG = LoggerFactory.getLogger(ResponseWriter.class);

  private ResponseWriter() {}

  /** Sends {@code body} with {@code status}, typed {@code contentType} unless that is null. */
  static int send(HttpCall call, int status, String contentType, byte[] body) {
    if (contentType != null) {
      call.setResponseHeader("Content-Type", contentType);
    }
    EVERY_ANSWER.forEach(call::setResponseHeader);
    try {
      call.respond(status, body);
    } catch (IOException e) {
      LOG.debug("could not answer {} {}: {}", call.method(), call.path(), e.toString());
    }
    return status;
  }

  /** Sends one of the gateway's own JSON answers with its headers. */
  static int json(HttpCall call, JsonAnswer answer) {
    answer.headers().forEach(call::setResponseHeader);
    return send(call, answer.status(), GatewayJson.MEDIA_TYPE, GatewayJson.write(answer.body()));
  }

  /** Sends an error as {@code {"error": ..., "status": N}} with its headers. */
  static int error(HttpCall call, HttpError e) {
    e.headers().forEach(call::setResponseHeader);
    return send(call, e.status(), GatewayJson.MEDIA_TYPE, e.json());
  }
}
