package io.dtac.examples.agent;

import java.util.HashMap;
import java.util.Map;

/**
 * The gateway's request slots, shared fairly: at most {@code threads} requests are served at once,
 * and one client holds at most {@code max_requests_per_client} of them, so that a client with many
 * slow calls in flight cannot take the slots every other client needs. A request that finds no
 * slot is refused at once (it never waits on a thread): 429 if its client holds its share, 503 if
 * every slot is taken; both with {@code Retry-After}. Thread-safe.
 */
final class RequestSlots {
  private final int total;
  private final int perClient;
  private final Map<String, Integer> held = new HashMap<>();
  private int inUse;

  RequestSlots(int total, int perClient) {
    this.total = total;
    this.perClient = perClient;
  }

  /** A slot held; {@link #close()} gives it back (once). */
  final class Slot implements AutoCloseable {
    private final String client;
    private boolean closed;

    private Slot(String client) {
      this.client = client;
    }

    @Override
    public void close() {
      synchronized (RequestSlots.this) {
        if (!closed) {
          closed = true;
          inUse--;
          held.computeIfPresent(client, (c, n) -> n == 1 ? null : n - 1);
        }
      }
    }
  }

  /**
   * Takes a slot for {@code client} (a key that names it; never shown to anyone).
   *
   * @throws HttpError 429 if the client holds {@code max_requests_per_client} slots already, 503 if
   *     all {@code threads} are taken
   */
  synchronized Slot enter(String client) throws HttpError {
    if (held.getOrDefault(client, 0) >= perClient) {
      throw HttpError.retrySoon(429, "too many requests at once from this client: " + perClient
          + " are being served (max_requests_per_client in the agent's --config file); retry when"
          + " one has been answered");
    }
    if (inUse >= total) {
      throw HttpError.retrySoon(503, "the gateway is serving as many requests as it may at once ("
          + total + ", threads in the agent's --config file); retry shortly");
    }
    inUse++;
    held.merge(client, 1, Integer::sum);
    return new Slot(client);
  }

  /** Slots taken now. */
  synchronized int inUse() {
    return inUse;
  }
}
