package io.dtac.examples.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code "logs"} object of the agent's configuration file: how large {@code agent.log} and
 * {@code audit.jsonl} grow before they roll over, how many rolled-over files are kept, and each
 * plugin's share of the log (the broker's {@code pluginLogRate}). Immutable.
 *
 * <pre>{@code
 * "logs": {
 *   "max_file_size": "10MB",        // agent.log rolls over at this size (KB, MB or GB)
 *   "max_files": 5,                 // agent.log.1 .. agent.log.5 are kept (1 to 20)
 *   "audit_max_file_size": "10MB",  // audit.jsonl likewise
 *   "audit_max_files": 20,
 *   "plugin_records_per_second": 200, // what one plugin may log (records and stderr lines)
 *   "plugin_burst": 2000
 * }
 * }</pre>
 */
record LogSettings(
    long maxFileBytes, int maxFiles, long auditMaxFileBytes, int auditMaxFiles,
    int pluginRecordsPerSecond, int pluginBurst) {
  static final long DEFAULT_MAX_FILE_BYTES = 10L * 1024 * 1024;
  static final int DEFAULT_MAX_FILES = 5;
  static final int DEFAULT_AUDIT_MAX_FILES = 20;
  static final int DEFAULT_PLUGIN_RECORDS_PER_SECOND = 200;
  static final int DEFAULT_PLUGIN_BURST = 2_000;
  /** Logback keeps at most 20 rolled-over files by index. */
  static final int MAX_FILES_LIMIT = 20;
  static final long MIN_FILE_BYTES = 64 * 1024;

  static final LogSettings DEFAULTS = new LogSettings(DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FILES,
      DEFAULT_MAX_FILE_BYTES, DEFAULT_AUDIT_MAX_FILES, DEFAULT_PLUGIN_RECORDS_PER_SECOND, DEFAULT_PLUGIN_BURST);

  private static final Set<String> KEYS = Set.of("max_file_size", "max_files", "audit_max_file_size",
      "audit_max_files", "plugin_records_per_second", "plugin_burst");
  private static final Pattern SIZE = Pattern.compile("([0-9]{1,7})\\s*(kb|mb|gb)");

  /**
   * Reads the {@code "logs"} object; keys left out keep their defaults.
   *
   * @param where the file and key, for messages
   * @throws IllegalArgumentException naming the offending key
   */
  static LogSettings read(String where, JsonNode node) {
    if (!node.isObject()) {
      throw new IllegalArgumentException(where + " must be an object, e.g. {\"max_file_size\": \"10MB\"}");
    }
    AgentConfig.requireKnownKeys(where, node, KEYS);
    return new LogSettings(
        node.has("max_file_size") ? size(where, node, "max_file_size") : DEFAULTS.maxFileBytes,
        node.has("max_files") ? (int) AgentConfig.integer(where, node, "max_files", 1, MAX_FILES_LIMIT) : DEFAULTS.maxFiles,
        node.has("audit_max_file_size") ? size(where, node, "audit_max_file_size") : DEFAULTS.auditMaxFileBytes,
        node.has("audit_max_files")
            ? (int) AgentConfig.integer(where, node, "audit_max_files", 1, MAX_FILES_LIMIT) : DEFAULTS.auditMaxFiles,
        node.has("plugin_records_per_second")
            ? (int) AgentConfig.integer(where, node, "plugin_records_per_second", 1, 1_000_000)
            : DEFAULTS.pluginRecordsPerSecond,
        node.has("plugin_burst")
            ? (int) AgentConfig.integer(where, node, "plugin_burst", 1, 10_000_000) : DEFAULTS.pluginBurst);
  }

  private static long size(String where, JsonNode node, String key) {
    String text = AgentConfig.text(where, node, key);
    Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
    long bytes = -1;
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      bytes = n * switch (m.group(2)) {
        case "kb" -> 1024L;
        case "mb" -> 1024L * 1024;
        default -> 1024L * 1024 * 1024;
      };
    }
    if (bytes < MIN_FILE_BYTES) {
      throw new IllegalArgumentException(where + ": '" + key + "' must be a size of at least 64KB, written"
          + " as a number and KB, MB or GB (e.g. \"10MB\"); got '" + text + "'");
    }
    return bytes;
  }
}
