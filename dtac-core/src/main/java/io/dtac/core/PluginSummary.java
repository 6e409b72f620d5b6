package io.dtac.core;

import java.util.List;
import java.util.Objects;

/**
 * A loaded plugin as the broker describes it to a plugin caller (only what the access policy lets
 * that caller call).
 *
 * @param name its name, e.g. "HelloPlugin"
 * @param rootPath its root path, e.g. "hello"
 * @param state its state: STARTING, RUNNING, FAILED, RESTARTING or STOPPED
 * @param endpoints the endpoints the caller may call
 */
public record PluginSummary(String name, String rootPath, String state, List<EndpointInfo> endpoints) {
  /**
   * Validates the components and copies {@code endpoints}.
   *
   * @param name its name
   * @param rootPath its root path
   * @param state its state
   * @param endpoints the endpoints the caller may call, copied
   * @throws NullPointerException if a component, or an element of {@code endpoints}, is null
   */
  public PluginSummary {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(rootPath, "rootPath");
    Objects.requireNonNull(state, "state");
    endpoints = List.copyOf(endpoints);
  }
}
