package io.dtac.broker.server.internal.observability;

import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.broker.server.internal.AuditRecord;

/**
 * What the broker measures, in its own terms: the implementation behind a host's {@code
 * MeterRegistry} is {@link MicrometerMetrics}; without one, {@link #NONE} does nothing and no
 * Micrometer class is loaded. Every method is called on the thread where the event happens
 * (often a transport thread): implementations never block.
 */
public interface BrokerMetrics {
  /** Measures nothing. */
  BrokerMetrics NONE = new BrokerMetrics() {};

  /** Ends a call's in-flight measurement. */
  interface InFlight {
    /** The call's answer is known. */
    void end();
  }

  /** An in-flight measurement that measures nothing. */
  InFlight NOT_MEASURED = () -> {};

  /**
   * A call passed the policy and is being routed.
   *
   * @return ended when the call's outcome is known
   */
  default InFlight callStarted(String caller, String target, String method, String action) {
    return NOT_MEASURED;
  }

  /** A call's outcome, allowed or refused, at the moment its audit record is written. */
  default void callCompleted(AuditRecord record) {}

  /** A plugin changed state ({@code from} null: first seen). */
  default void pluginStateChanged(PluginInfo plugin, PluginState from) {}

  /** A health check of {@code plugin} failed (no answer in time, or not SERVING). */
  default void healthCheckFailed(String plugin) {}

  /** An audit record had to wait for room in the audit file's queue. */
  default void auditBackpressure() {}

  /**
   * {@code n} records of {@code plugin} (LoggingStream records, stderr and stdout lines) were
   * dropped for exceeding its log rate; called when the agent's log reports them.
   */
  default void logRecordsDropped(String plugin, long n) {}

  /** A plugin connection to the broker became ready. */
  default void connectionOpened() {}

  /** A plugin connection that was ready has closed. */
  default void connectionClosed() {}
}
