package io.dtac.core;

import java.util.Locale;

/**
 * What an endpoint does, and the HTTP method the agent's REST gateway maps it to.
 *
 * <p>On the wire an action is its lower-case {@linkplain #wireName() name}: {@code create},
 * {@code read}, {@code write} or {@code delete}.
 */
public enum Action {
  /** Creates something; HTTP POST. */
  CREATE("create", "POST"),
  /** Reads without side effects; HTTP GET. */
  READ("read", "GET"),
  /** Changes something; HTTP PUT. */
  WRITE("write", "PUT"),
  /** Removes something; HTTP DELETE. */
  DELETE("delete", "DELETE");

  private final String wireName;
  private final String httpMethod;

  Action(String wireName, String httpMethod) {
    this.wireName = wireName;
    this.httpMethod = httpMethod;
  }

  /** The protocol's name of this action, e.g. {@code read}. */
  public String wireName() {
    return wireName;
  }

  /** The HTTP method the REST gateway serves this action with, e.g. {@code GET}. */
  public String httpMethod() {
    return httpMethod;
  }

  /**
   * The endpoint key the protocol uses in {@code EndpointRequestMessage.method}:
   * {@code ACTION:PATH}, e.g. {@code read:hello}.
   */
  public String methodKey(String path) {
    return wireName + ":" + path;
  }

  /**
   * Parses a wire name, ignoring case.
   *
   * @throws IllegalArgumentException naming the value and the accepted ones
   */
  public static Action fromWireName(String name) {
    if (name != null) {
      String lower = name.toLowerCase(Locale.ROOT);
      for (Action action : values()) {
        if (action.wireName.equals(lower)) {
          return action;
        }
      }
    }
    throw new IllegalArgumentException("unknown action '" + name + "'; expected one of " + wireNames());
  }

  /** The action whose wire name is exactly {@code name} (lower case), if any. */
  public static java.util.Optional<Action> ofWireName(String name) {
    for (Action action : values()) {
      if (action.wireName.equals(name)) {
        return java.util.Optional.of(action);
      }
    }
    return java.util.Optional.empty();
  }

  /** "create, read, write, delete": the wire names, for messages. */
  public static String wireNames() {
    return java.util.Arrays.stream(values()).map(Action::wireName).collect(java.util.stream.Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
