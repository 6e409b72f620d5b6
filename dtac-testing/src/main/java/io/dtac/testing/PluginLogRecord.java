package io.dtac.testing;

import io.dtac.plugin.LogLevel;
import java.util.Map;
import java.util.Objects;

/**
 * One record a plugin under test logged with {@code PluginBase.log}, as the agent receives it on
 * the plugin's {@code LoggingStream}. Immutable.
 *
 * @param level its level
 * @param message its message; never null
 * @param fields its fields, in the order the plugin gave them; never null
 */
public record PluginLogRecord(LogLevel level, String message, Map<String, String> fields) {
  /**
   * A record as the agent received it.
   *
   * @param level its level
   * @param message its message
   * @param fields its fields
   * @throws NullPointerException if any component is null
   */
  public PluginLogRecord {
    Objects.requireNonNull(level, "level");
    Objects.requireNonNull(message, "message");
    fields = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(fields));
  }
}
