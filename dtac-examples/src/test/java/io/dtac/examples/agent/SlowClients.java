package io.dtac.examples.agent;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** What slow and half-open clients send, and how a test sees that the server let go of them. */
final class SlowClients {
  private SlowClients() {}

  /** A TLS record header announcing a ClientHello of 512 bytes, and the first byte of it: no more. */
  static void sendHalfAClientHello(Socket s) throws IOException {
    s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01});
    s.getOutputStream().flush();
  }

  /** A request line and a header that never ends (over a TLS socket already handshaken). */
  static void sendHeadersThatNeverEnd(Socket s) throws IOException {
    s.getOutputStream().write("GET /plugins HTTP/1.1\r\nHost: localhost\r\nX-Slow: a"
        .getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
  }

  /**
   * Whether the server has closed {@code s}: a read ends or fails, rather than running into the
   * socket's (short) read timeout. Whatever the server sent before is skipped.
   */
  static boolean closedByServer(Socket s) {
    try {
      InputStream in = s.getInputStream();
      while (true) {
        if (in.read() < 0) {
          return true;
        }
      }
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }
}
