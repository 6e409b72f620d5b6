package io.dtac.broker.server;

/** The lifecycle state of a plugin the broker manages. */
public enum PluginState {
  /** The process is launching, handshaking or registering. */
  STARTING,
  /** Registered and serving calls. */
  RUNNING,
  /** Could not load, or its process ended or stopped answering; {@link PluginInfo#failure()} says why. */
  FAILED,
  /** Being started again after a failure. */
  RESTARTING,
  /** Stopped by the broker (on close or unload). */
  STOPPED
}
