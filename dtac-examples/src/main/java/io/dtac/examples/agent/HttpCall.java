package io.dtac.examples.agent;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;

/**
 * One HTTP request and its answer, as the gateway's routes see it: the seam between them and the
 * HTTP server. No server type shows through, so a new server (see {@link GatewayServer}) needs a
 * new adapter, like {@link JettyHttpCall}, and no change to the routes.
 *
 * <p>Used by one thread, the one serving the request. The server ends the exchange after the
 * gateway's handler returns, whether or not it answered.
 */
interface HttpCall {
  /** The request method, as sent ({@code GET}, {@code POST}, ...). */
  String method();

  /** The decoded URL path; {@code ""} if the request has none. */
  String path();

  /** The query string as sent, still percent-encoded; {@code null} if there is none. */
  String rawQuery();

  /** The first value of a request header, its name matched without regard to case; {@code null} if absent. */
  String requestHeader(String name);

  /** Every request header with all its values, names as the server reports them. */
  Map<String, List<String>> requestHeaders();

  /** The IP address of the client, as text. */
  String remoteAddress();

  /** The request body; whatever the gateway leaves unread, the server deals with. */
  InputStream requestBody();

  /** Sets a response header, replacing any value it had. */
  void setResponseHeader(String name, String value);

  /**
   * Adds a value to a response header.
   *
   * @throws IllegalArgumentException if the server refuses the name or the value
   */
  void addResponseHeader(String name, String value);

  /**
   * Sends the status, the response headers set so far and {@code body} (empty: no body). Called
   * once; the headers cannot change afterwards.
   *
   * @throws IOException if the client cannot be answered (it went away)
   */
  void respond(int status, byte[] body) throws IOException;
}
