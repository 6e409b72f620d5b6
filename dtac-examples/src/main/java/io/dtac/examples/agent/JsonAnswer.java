package io.dtac.examples.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * A successful answer the gateway makes itself (the listing, the admin routes): a status, a JSON
 * body and extra headers (e.g. {@code Location}). Errors are {@link HttpError}s instead.
 */
record JsonAnswer(int status, JsonNode body, Map<String, String> headers) {
  JsonAnswer {
    headers = Map.copyOf(headers);
  }

  JsonAnswer(int status, JsonNode body) {
    this(status, body, Map.of());
  }
}
