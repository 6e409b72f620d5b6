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

  /**
   * The protocol's name of this action.
   *
   * @return the lower-case wire name, e.g. {@code read}
   */
  public String wireName() {
    return wireName;
  }

  /**
   * The HTTP method a REST gateway serves this action with.
   *
   * @return the upper-case method name, e.g. {@code GET}
   */
  public String httpMethod() {
    return httpMethod;
  }

  /**
   * The endpoint key the protocol uses in {@code EndpointRequestMessage.method}.
   *
   * @param path the endpoint's path, e.g. {@code hello}; used as given
   * @return {@code ACTION:PATH}, e.g. {@code read:hello}
   */
  public String methodKey(String path) {
    return wireName + ":" + path;
  }

  /**
   * Parses a wire name, ignoring case: for input from people and configuration files.
   *
   * @param name a wire name in any case, e.g. {@code Read}
   * @return the action with that name
   * @throws IllegalArgumentException if {@code name} is null or no action's name, with a message
   *     that names the value and the accepted ones
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

  /**
   * Looks up a wire name exactly, as it arrives from the protocol (which writes it lower case).
   *
   * @param name the wire name, e.g. {@code read}; null finds nothing
   * @return the action whose wire name is exactly {@code name}, or empty
   */
  public static java.util.Optional<Action> ofWireName(String name) {
    for (Action action : values()) {
      if (action.wireName.equals(name)) {
        return java.util.Optional.of(action);
      }
    }
    return java.util.Optional.empty();
  }

  /**
   * The wire names of all actions, in declaration order, for messages.
   *
   * @return {@code "create, read, write, delete"}
   */
  public static String wireNames() {
    return java.util.Arrays.stream(values()).map(Action::wireName).collect(java.util.stream.Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return wireName;
  }
}
