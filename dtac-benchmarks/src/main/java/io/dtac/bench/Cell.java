package io.dtac.bench;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.zip.DataFormatException;
import org.HdrHistogram.Histogram;

/** The measurements of one scenario at one payload size and concurrency, merged over rounds. */
final class Cell {
  final Scenario scenario;
  final int payloadBytes;
  final int inFlight;
  private final Histogram latencies = new Histogram(60_000_000_000L, 3);
  private long windowNanos;
  private long errors;
  private String firstError = "";
  private long cpuCalls;
  private long callerCpuNanos;
  private long agentCpuNanos;
  private long targetCpuNanos;

  Cell(Scenario scenario, int payloadBytes, int inFlight) {
    this.scenario = scenario;
    this.payloadBytes = payloadBytes;
    this.inFlight = inFlight;
  }

  /** Adds one measured window, as the caller plugin reported it. */
  void add(String base64Histogram, long windowNanos, long errors, String firstError) {
    try {
      latencies.add(
          Histogram.decodeFromCompressedByteBuffer(
              ByteBuffer.wrap(Base64.getDecoder().decode(base64Histogram)), 0));
    } catch (DataFormatException e) {
      throw new IllegalStateException("the caller plugin sent a corrupt histogram", e);
    }
    this.windowNanos += windowNanos;
    this.errors += errors;
    if (this.firstError.isEmpty() && firstError != null) {
      this.firstError = firstError;
    }
  }

  /**
   * Adds the CPU time the three processes spent on one segment ({@code calls} calls, warm-up
   * included). The agent's share includes the driver's trigger call, a few microseconds.
   */
  void addCpu(long calls, long callerNanos, long agentNanos, long targetNanos) {
    cpuCalls += calls;
    callerCpuNanos += callerNanos;
    agentCpuNanos += agentNanos;
    targetCpuNanos += targetNanos;
  }

  /** CPU microseconds per call spent by the caller, agent and target processes; NaN if unknown. */
  double[] cpuMicrosPerCall() {
    if (cpuCalls == 0) {
      return new double[] {Double.NaN, Double.NaN, Double.NaN};
    }
    return new double[] {
      callerCpuNanos / 1000.0 / cpuCalls, agentCpuNanos / 1000.0 / cpuCalls, targetCpuNanos / 1000.0 / cpuCalls
    };
  }

  long count() {
    return latencies.getTotalCount();
  }

  long errors() {
    return errors;
  }

  String firstError() {
    return firstError;
  }

  /** NaN when no call succeeded. */
  double p50Micros() {
    return count() == 0 ? Double.NaN : latencies.getValueAtPercentile(50) / 1000.0;
  }

  /** NaN when no call succeeded. */
  double p99Micros() {
    return count() == 0 ? Double.NaN : latencies.getValueAtPercentile(99) / 1000.0;
  }

  /** NaN when no call succeeded. */
  double callsPerSecond() {
    return count() == 0 || windowNanos == 0 ? Double.NaN : count() * 1e9 / windowNanos;
  }
}
