package io.dtac.core.internal;

/** How the broker and the SDK show caller-chosen text in error messages. */
public final class Messages {
  private static final int MAX_SHOWN = 120;

  private Messages() {}

  /** {@code s} quoted, control characters escaped, cut at 120 characters. */
  public static String quote(String s) {
    String shown = s.length() > MAX_SHOWN ? s.substring(0, MAX_SHOWN) + "..." : s;
    StringBuilder b = new StringBuilder("'");
    shown.chars().forEach(c -> {
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\x%02x", c));
      } else {
        b.append((char) c);
      }
    });
    return b.append('\'').toString();
  }
}
