package io.dtac.core.internal;

/** How the broker and the SDK show caller-chosen text in error messages. */
public final class Messages {
  private static final int MAX_SHOWN = 120;

  private Messages() {}

  /** {@code s} quoted, cut at 120 characters, control characters escaped as {@link LogRecords#escape} does. */
  public static String quote(String s) {
    String shown = s.length() > MAX_SHOWN ? s.substring(0, MAX_SHOWN) + "..." : s;
    return "'" + LogRecords.escape(shown, Integer.MAX_VALUE) + "'";
  }
}
