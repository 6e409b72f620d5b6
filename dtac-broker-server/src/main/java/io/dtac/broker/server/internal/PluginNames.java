package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import java.util.Locale;
import java.util.Set;

/**
 * What a plugin name (and a root path a plugin announces) may hold: 1 to {@value #MAX_LENGTH}
 * ASCII letters, digits, {@code .}, {@code _} and {@code -}, starting with a letter or digit. That
 * leaves out every character the broker gives a meaning: whitespace, {@code >} (the call-chain
 * separator), {@code :} and {@code ,} (handshake fields and options, operation keys), {@code *}
 * (the policy wildcard), {@code '} (quoting in messages) and {@code /} (URL paths).
 *
 * <p>The names the broker uses for itself ({@link #RESERVED}) are refused in any case, so that no
 * plugin can be mistaken for the host or an unauthenticated caller in a call chain, a target's
 * {@code dtac-caller} or an audit record.
 */
public final class PluginNames {
  /** The longest plugin name. */
  public static final int MAX_LENGTH = 128;

  /** The names the broker uses for callers that are not plugins. */
  public static final Set<String> RESERVED =
      Set.of(Protocol.HOST_CALLER, CallerIdentity.UNAUTHENTICATED);

  /** How the rule reads in messages. */
  public static final String RULE =
      "letters, digits, '.', '_' and '-', starting with a letter or digit, at most " + MAX_LENGTH
          + " characters";

  private PluginNames() {}

  /** What keeps {@code name} from being a plugin name or root path, or null when nothing does. */
  public static String problem(String name) {
    if (name.isEmpty()) {
      return "it is empty";
    }
    if (name.length() > MAX_LENGTH) {
      return "it is " + name.length() + " characters long";
    }
    if (!letterOrDigit(name.charAt(0))) {
      return "it starts with " + describe(name.charAt(0));
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!nameChar(c)) {
        return "it holds " + describe(c);
      }
    }
    return null;
  }

  /** Whether {@code name} is one the broker uses for itself, in any case ("Agent" too). */
  public static boolean isReserved(String name) {
    return RESERVED.contains(name.toLowerCase(Locale.ROOT));
  }

  /** Whether {@code c} may appear in a plugin name. */
  public static boolean nameChar(char c) {
    return letterOrDigit(c) || c == '.' || c == '_' || c == '-';
  }

  private static boolean letterOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  /** A character for a message: printable ones quoted, others as their code point. */
  public static String describe(char c) {
    if (c == ' ') {
      return "a space";
    }
    if (c > 0x20 && c < 0x7f) {
      return "'" + c + "'";
    }
    return String.format("the character U+%04X", (int) c);
  }
}
