package io.dtac.core;

import java.util.Objects;

/**
 * One endpoint a plugin registered, as the broker lists it to the host ({@code PluginInfo}) and
 * to plugins ({@code BrokerClient.describePlugins()}).
 *
 * @param action what it does (and the HTTP method the REST gateway serves it with)
 * @param path its path, the method name callers use, e.g. "hello"
 * @param description what it does, for people
 * @param secure whether the REST gateway requires authentication for it
 * @param authGroup the group the plugin declared for it (e.g. "admin"), or ""
 * @param bodySchema the JSON schema of its request body, or ""
 * @param outputSchema the JSON schema of its answer, or ""
 */
public record EndpointInfo(
    Action action, String path, String description, boolean secure, String authGroup, String bodySchema,
    String outputSchema) {
  /**
   * Validates and normalises the components.
   *
   * @param action what it does
   * @param path its path
   * @param description what it does, for people; null becomes ""
   * @param secure whether the REST gateway requires authentication for it
   * @param authGroup the group the plugin declared for it; null becomes ""
   * @param bodySchema the JSON schema of its request body; null becomes ""
   * @param outputSchema the JSON schema of its answer; null becomes ""
   * @throws NullPointerException if {@code action} or {@code path} is null (the other strings
   *     become "" when null)
   */
  public EndpointInfo {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(path, "path");
    description = Objects.requireNonNullElse(description, "");
    authGroup = Objects.requireNonNullElse(authGroup, "");
    bodySchema = Objects.requireNonNullElse(bodySchema, "");
    outputSchema = Objects.requireNonNullElse(outputSchema, "");
  }

  /**
   * The protocol's key of this endpoint.
   *
   * @return {@code ACTION:PATH}, e.g. {@code read:hello}
   * @see Action#methodKey(String)
   */
  public String methodKey() {
    return action.methodKey(path);
  }
}
