package io.dtac.core.internal;

import io.dtac.broker.api.LogField;
import io.dtac.broker.api.LogMessage;

/**
 * The bounds of a plugin's log record and how its text is made safe for one log line: the one
 * home of these numbers for the plugin SDK (which cuts a record before sending it) and the broker
 * (which cuts and escapes whatever a plugin sends, SDK or not).
 */
public final class LogRecords {
  /** A record's message, and one line of a plugin's stderr, is cut to this many characters. */
  public static final int MAX_MESSAGE_CHARS = 8192;
  /** Fields after this many are left out (the last kept field says how many). */
  public static final int MAX_FIELDS = 16;
  /** A field's key is cut to this many characters. */
  public static final int MAX_KEY_CHARS = 64;
  /** A field's value is cut to this many characters. */
  public static final int MAX_VALUE_CHARS = 512;
  /**
   * The largest serialized record the broker reads from a LoggingStream; a record cut to the bounds
   * above is always smaller (at most 3 UTF-8 bytes per character).
   */
  public static final int MAX_RECORD_BYTES = 64 * 1024;
  /** The key of the field that stands for the fields left out. */
  public static final String MORE_FIELDS_KEY = "more_fields";

  private LogRecords() {}

  /** How one piece of text is cut to a number of characters. */
  @FunctionalInterface
  public interface Cut {
    /** {@code s} in at most {@code max} characters. */
    String apply(String s, int max);
  }

  /**
   * {@code record} with its message, keys and values passed through {@code cut} at their bounds and
   * at most {@value #MAX_FIELDS} fields, the last of which counts the ones left out. Returns
   * {@code record} itself when nothing changes.
   */
  public static LogMessage bound(LogMessage record, Cut cut) {
    String message = cut.apply(record.getMessage(), MAX_MESSAGE_CHARS);
    int count = record.getFieldsCount();
    int kept = count <= MAX_FIELDS ? count : MAX_FIELDS - 1;
    boolean same = message.equals(record.getMessage()) && kept == count;
    LogMessage.Builder b = LogMessage.newBuilder().setLevelValue(record.getLevelValue()).setMessage(message);
    for (int i = 0; i < kept; i++) {
      LogField f = record.getFields(i);
      String key = cut.apply(f.getKey(), MAX_KEY_CHARS);
      String value = cut.apply(f.getValue(), MAX_VALUE_CHARS);
      same &= key.equals(f.getKey()) && value.equals(f.getValue());
      b.addFields(LogField.newBuilder().setKey(key).setValue(value));
    }
    if (kept < count) {
      b.addFields(LogField.newBuilder().setKey(MORE_FIELDS_KEY).setValue(Integer.toString(count - kept)));
    }
    return same ? record : b.build();
  }

  /**
   * {@code s} cut to at most {@code max} characters, the last of them saying how many were left
   * out ({@code "... (1234 more characters)"}); {@code s} itself if it fits. Never splits a
   * surrogate pair.
   */
  public static String truncate(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    int keep = Math.max(0, max - marker(s.length()).length());
    if (keep > 0 && Character.isHighSurrogate(s.charAt(keep - 1))) {
      keep--;
    }
    return s.substring(0, keep) + marker(s.length() - keep);
  }

  /**
   * {@code s} as one line of plain text in at most {@code max} characters: a backslash becomes
   * {@code \\}, line feed, carriage return and tab {@code \n}, {@code \r}, {@code \t}, every other
   * control character (C0, DEL, C1: including ESC, which starts terminal escape sequences) {@code
   * \xNN}, and the characters that break or reorder lines (U+2028, U+2029, the bidirectional
   * controls) {@code \}{@code uNNNN}. What does not fit is cut as {@link #truncate} does, counted
   * in characters of {@code s}. {@code max} must leave room for that marker (40 characters do).
   */
  public static String escape(String s, int max) {
    return escape(s, max, 0);
  }

  /**
   * {@link #escape(String, int)} of text that already lost {@code alreadyCut} characters at its
   * end (a line longer than the reader keeps); the marker counts those too.
   */
  public static String escape(CharSequence s, int max, long alreadyCut) {
    int n = s.length();
    if (alreadyCut == 0 && escapedLength(s) <= max) {
      if (escapedLength(s) == n) {
        return s.toString();
      }
      StringBuilder out = new StringBuilder((int) Math.min(max, 6L * n + 40));
      for (int i = 0; i < n; i++) {
        append(out, s.charAt(i));
      }
      return out.toString();
    }
    StringBuilder out = new StringBuilder((int) Math.min(max, 6L * n + 40));
    int i = 0;
    for (; i < n; i++) {
      String e = escaped(s.charAt(i));
      int room = max - marker(n - i + alreadyCut).length();
      if (out.length() + (e == null ? 1 : e.length()) > room) {
        break;
      }
      append(out, s.charAt(i));
    }
    if (i > 0 && i < n && Character.isHighSurrogate(s.charAt(i - 1)) && Character.isLowSurrogate(s.charAt(i))) {
      out.setLength(out.length() - 1);
      i--;
    }
    return out.append(marker(n - i + alreadyCut)).toString();
  }

  private static int escapedLength(CharSequence s) {
    int length = 0;
    for (int i = 0; i < s.length(); i++) {
      String e = escaped(s.charAt(i));
      length += e == null ? 1 : e.length();
    }
    return length;
  }

  private static void append(StringBuilder out, char c) {
    String e = escaped(c);
    if (e == null) {
      out.append(c);
    } else {
      out.append(e);
    }
  }

  /** How {@code c} is written in a log line, or null if as itself. */
  private static String escaped(char c) {
    switch (c) {
      case '\\':
        return "\\\\";
      case '\n':
        return "\\n";
      case '\r':
        return "\\r";
      case '\t':
        return "\\t";
      default:
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
          return String.format("\\x%02x", (int) c);
        }
        if (c == '\u2028' || c == '\u2029' || c == '\u200e' || c == '\u200f'
            || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069')) {
          return String.format("\\u%04x", (int) c);
        }
        return null;
    }
  }

  private static String marker(long more) {
    return "... (" + more + " more characters)";
  }
}
