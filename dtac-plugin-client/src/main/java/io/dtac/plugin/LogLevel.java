package io.dtac.plugin;

/** The severity of a log record a plugin sends to the agent, as in the protocol's {@code LogLevel}. */
public enum LogLevel {
  /** Detail for finding a fault. */
  DEBUG,
  /** The normal course of events. */
  INFO,
  /** Something unexpected that the plugin got past. */
  WARNING,
  /** A failure of one operation; the plugin goes on. */
  ERROR,
  /** A failure the plugin cannot go on after. */
  FATAL
}
