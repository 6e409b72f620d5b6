package io.dtac.examples.agent;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.Map;

/**
 * Reads a request's body under the gateway's size limit ({@code max_body_bytes}), whether its size
 * is declared or it comes chunked, and refuses a body declared JSON that is not. Thread-safe.
 */
final class RequestBody {
  private final long limit;

  RequestBody(long limit) {
    this.limit = limit;
  }

  /**
   * The whole body of {@code call}.
   *
   * @throws HttpError 400 (a {@code Content-Length} that is not a number, a body that cannot be
   *     read, malformed JSON under a JSON {@code Content-Type}), 408 (the body did not arrive in
   *     time: the server's read timed out) or 413 (larger than the limit); after a 408 or a 413
   *     the connection is closed
   */
  byte[] read(HttpCall call) throws HttpError {
    String declared = call.requestHeader("Content-Length");
    if (declared != null) {
      try {
        if (Long.parseLong(declared.trim()) > limit) {
          throw tooLarge();
        }
      } catch (NumberFormatException e) {
        throw new HttpError(400, "Content-Length is not a number: " + declared);
      }
    }
    byte[] body;
    try {
      body = call.requestBody().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
    } catch (SocketTimeoutException e) {
      // The rest of the body may still come: the connection is no use for another request.
      throw new HttpError(408, e.getMessage(), Map.of("Connection", "close"));
    } catch (IOException e) {
      throw new HttpError(400, "could not read the request body: " + e.getMessage());
    }
    if (body.length > limit) {
      throw tooLarge();
    }
    if (body.length > 0 && GatewayJson.isJson(call.requestHeader("Content-Type"))) {
      try {
        GatewayJson.parse(body);
      } catch (GatewayJson.MalformedJson e) {
        throw new HttpError(400, "malformed JSON body: " + e.reason() + e.where());
      }
    }
    return body;
  }

  private HttpError tooLarge() {
    // The unread rest of the body makes the connection unusable: close it after answering.
    return new HttpError(413, "request body larger than the limit of " + limit
        + " bytes (max_body_bytes in the agent's --config file)", Map.of("Connection", "close"));
  }
}
