package io.dtac.plugin;

/** The severity of a log record a plugin sends to the agent, as in the protocol's {@code LogLevel}. */
public enum LogLevel {
  DEBUG,
  INFO,
  WARNING,
  ERROR,
  FATAL
}
