package io.dtac.broker.server.internal;

/** A plugin's handshake failed; the message says how, for the agent's log. */
public final class HandshakeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public HandshakeException(String message) {
    super(message);
  }
}
