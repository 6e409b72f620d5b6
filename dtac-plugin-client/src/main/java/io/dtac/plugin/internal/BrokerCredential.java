package io.dtac.plugin.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The broker credential of this plugin process, where the agent identifies callers by one
 * (OSes whose kernel cannot say which process is calling): the agent writes it as the first line
 * of the plugin's stdin, a pipe only the agent holds, when it sets {@value
 * io.dtac.core.Protocol#ENV_CREDENTIAL_ON_STDIN}. Read
 * once, at start; never in the environment, where same-user processes could read it.
 */
public final class BrokerCredential {
  private static final int MAX_LENGTH = 256;
  private static volatile String value;

  private BrokerCredential() {}

  /** The credential read at start, or null. */
  public static String get() {
    return value;
  }

  /**
   * Reads the first line of {@code in} byte by byte (nothing after it is consumed, so the stdin
   * watch still sees the pipe close).
   *
   * @throws IOException if the stream ends first or the line is too long
   */
  public static void readFrom(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0 && c != '\n') {
      if (line.length() == MAX_LENGTH) {
        throw new IOException("the broker credential on stdin is longer than " + MAX_LENGTH + " characters");
      }
      line.append((char) c);
    }
    if (c < 0) {
      throw new IOException("stdin ended before the broker credential the agent announced");
    }
    value = new String(line.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.US_ASCII).trim();
  }
}
