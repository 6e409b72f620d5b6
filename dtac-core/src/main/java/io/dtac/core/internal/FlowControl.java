package io.dtac.core.internal;

/**
 * The HTTP/2 flow-control window of every connection between the agent's broker and its plugins,
 * on both ends (the broker's servers and its channels to plugins; a plugin's servers and its
 * channel to the broker).
 *
 * <p>grpc-java's default, 1 MiB per connection and per stream, lets 4 calls of 256 KiB be on the
 * wire at once; more wait for the receiver's WINDOW_UPDATE, a round trip through both event loops,
 * which is what throughput at 64 large calls in flight paid. The window is also a bound on memory:
 * a peer may send at most this many bytes on a connection (and on any one stream) that the
 * receiver has not yet taken, so each connection can hold up to {@value #WINDOW_BYTES} bytes of
 * received, unread data on top of the messages being handled (themselves bounded by the broker's
 * maximum message size). A broker with n plugins has 2n such connections.
 */
public final class FlowControl {
  /** The window, in bytes: 4 MiB, the broker's default maximum message size. */
  public static final int WINDOW_BYTES = 4 * 1024 * 1024;

  private FlowControl() {}
}
