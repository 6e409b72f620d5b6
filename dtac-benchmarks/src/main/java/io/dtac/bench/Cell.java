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
