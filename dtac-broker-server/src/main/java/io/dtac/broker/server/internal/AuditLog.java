package io.dtac.broker.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import io.dtac.broker.server.internal.observability.BrokerMetrics;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail: every {@link AuditRecord} goes, as one JSON line, to the SLF4J logger
 * {@value #LOGGER} at INFO and, when configured, to an append-only JSON-lines file.
 *
 * <p>Callers, often the broker's transport threads, never wait: {@link #record} only hands the
 * record to a bounded, lock-free queue ({@value #CAPACITY} records); one writer thread turns
 * records into JSON, logs them and writes the file, so lines never interleave, and flushes after
 * every batch. A caller wakes the writer only when it sleeps: after a batch the writer waits
 * {@value #LINGER_MICROS} us for more records before it sleeps, so a busy broker's calls pay no
 * thread wake-up each, and an idle writer sleeps until the next record (no timed polling). When
 * the queue is nearly full ({@link #behind()}), the broker refuses new calls rather than run calls
 * it could not audit; a record that still finds the queue full is counted, never silently lost:
 * {@code dtac.broker.audit.backpressure} and a log line saying how many were dropped. Before
 * {@link #open()} and after {@link #close()} records go to SLF4J directly. {@link #close()} writes
 * every record accepted before it, then closes the file. Thread-safe.
 */
public final class AuditLog implements AutoCloseable {
  /** The name of the SLF4J logger that receives audit records. */
  public static final String LOGGER = "dtac.audit";

  static final int CAPACITY = 65_536;
  private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER);
  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Below this much room left in the queue the broker refuses new calls ({@link #behind()}). */
  static final int HEADROOM = 4_096;
  /** The most records the writer takes before it writes and flushes them. */
  private static final int BATCH = 4_096;
  /** How long the writer waits for more records after a batch before it sleeps until woken. */
  static final long LINGER_MICROS = 1_000;
  /** Set in {@link #state} once closed; the bits below count the records accepted, not yet taken. */
  private static final int CLOSED = 1 << 30;

  private final Path file;
  private final BrokerMetrics metrics;
  private final String runId;
  private final AtomicLong sequence = new AtomicLong();
  private final Queue<AuditRecord> queue = new ConcurrentLinkedQueue<>();
  /**
   * The records accepted into the queue and not yet taken by the writer, plus {@link #CLOSED} once
   * closed: one atomic add per record both bounds the queue and orders it against {@link #close()}
   * (a record counted before the close is written before the file closes), without a lock.
   */
  private final AtomicInteger state = new AtomicInteger();
  private final AtomicLong dropped = new AtomicLong();
  private volatile long lastDropReport;
  private final AtomicBoolean warnedAfterClose = new AtomicBoolean();
  /** Guarded by this. */
  private boolean closed;
  private volatile Thread writer;
  /** Whether the writer sleeps until a record wakes it (not while it lingers after a batch). */
  private volatile boolean sleeping;

  /** @param file the JSON-lines file to append to, or null for SLF4J only */
  public AuditLog(Path file) {
    this(file, BrokerMetrics.NONE);
  }

  /**
   * @param file the JSON-lines file to append to, or null for SLF4J only
   * @param metrics told of every record (the outcome of a call) and of back-pressure
   */
  public AuditLog(Path file, BrokerMetrics metrics) {
    this.metrics = metrics;
    this.file = file == null ? null : file.toAbsolutePath();
    byte[] run = new byte[4];
    new SecureRandom().nextBytes(run);
    this.runId = HexFormat.of().formatHex(run);
  }

  /**
   * Opens the file, if any (created owner-read/write only if missing, appended to otherwise), and
   * starts the writer thread. Does nothing after {@link #close()}.
   *
   * @throws IOException naming the file if it cannot be opened
   */
  public synchronized void open() throws IOException {
    // Under the lock close() takes: a close() that comes first leaves nothing to start.
    openWriter();
  }

  private void openWriter() throws IOException {
    if (writer != null || closed) {
      return;
    }
    BufferedWriter out = null;
    if (file != null) {
      FileChannel channel;
      try {
        channel = FileChannel.open(
            file,
            Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
            ownerOnly());
      } catch (IOException e) {
        throw new IOException("cannot open the audit file " + file + ": " + e, e);
      }
      out = new BufferedWriter(
          new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8), 64 * 1024);
    }
    BufferedWriter fileOut = out;
    Thread t = new Thread(() -> drain(fileOut), "dtac-audit-writer");
    t.setDaemon(true);
    writer = t;
    t.start();
  }

  private static FileAttribute<?>[] ownerOnly() {
    if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))};
    }
    return new FileAttribute<?>[0];
  }

  /** A new call id: this run's random prefix and a sequence number, e.g. "3f9a1c2e-42". */
  public String nextCallId() {
    return runId + "-" + sequence.incrementAndGet();
  }

  /**
   * Whether the writer is so far behind that new calls should be refused: fewer than {@value
   * #HEADROOM} places are left in its queue, kept for the records of calls already running.
   */
  public boolean behind() {
    return writer != null && (state.get() & ~CLOSED) > CAPACITY - HEADROOM;
  }

  /** Emits one record. Never throws and never blocks. */
  public void record(AuditRecord r) {
    metrics.callCompleted(r);
    Thread w = writer;
    if (w == null) {
      log(r);
      return;
    }
    int s = state.incrementAndGet();
    if ((s & CLOSED) != 0) {
      state.decrementAndGet();
      if (file != null && warnedAfterClose.compareAndSet(false, true)) {
        LOG.warn("audit records after the broker stopped reach the log only, not {}", file);
      }
      log(r);
      return;
    }
    if (s > CAPACITY) {
      state.decrementAndGet();
      metrics.auditBackpressure();
      long n = dropped.incrementAndGet();
      long now = System.nanoTime();
      if (now - lastDropReport > TimeUnit.SECONDS.toNanos(1)) {
        lastDropReport = now;
        LOG.error("{} audit records dropped so far: the audit writer is {} records behind (the disk is"
            + " too slow or stalled); the broker refuses new calls until it catches up", n, CAPACITY);
      }
      return;
    }
    queue.offer(r);
    if (sleeping) {
      sleeping = false;
      LockSupport.unpark(w);
    }
  }

  /** The writer thread's state, null before {@link #open()}: for tests that it sleeps when idle. */
  Thread.State writerState() {
    Thread w = writer;
    return w == null ? null : w.getState();
  }

  /** How many records found the queue full since the start: each also counted as back-pressure. */
  public long dropped() {
    return dropped.get();
  }

  /** Logs one record to SLF4J; returns its JSON line, or null if it cannot be serialised. */
  private static String log(AuditRecord r) {
    String line;
    try {
      line = JSON.writeValueAsString(r);
    } catch (JsonProcessingException e) {
      LOG.error("cannot serialise audit record {}", r, e);
      return null;
    }
    AUDIT.info(line);
    return line;
  }

  private void drain(BufferedWriter out) {
    List<AuditRecord> batch = new ArrayList<>(1024);
    boolean fileOk = out != null;
    boolean lingered = true;
    try {
      while (true) {
        AuditRecord r;
        while (batch.size() < BATCH && (r = queue.poll()) != null) {
          batch.add(r);
        }
        if (!batch.isEmpty()) {
          state.addAndGet(-batch.size());
          fileOk = write(batch, out, fileOk);
          batch.clear();
          lingered = false;
          continue;
        }
        int s = state.get();
        if ((s & CLOSED) != 0) {
          if (s == CLOSED) {
            return;
          }
          // A record counted before the close is on its way into the queue.
          Thread.onSpinWait();
          continue;
        }
        if (!lingered) {
          // More records are likely right behind this batch: take them without being woken.
          lingered = true;
          LockSupport.parkNanos(this, TimeUnit.MICROSECONDS.toNanos(LINGER_MICROS));
          continue;
        }
        sleeping = true;
        if (queue.isEmpty() && (state.get() & CLOSED) == 0) {
          LockSupport.park(this);
        }
        sleeping = false;
        if (Thread.interrupted()) {
          return;
        }
      }
    } finally {
      if (out != null) {
        try {
          out.close();
        } catch (IOException e) {
          LOG.error("closing the audit file {} failed", file, e);
        }
      }
    }
  }

  /** Logs and writes a batch, then flushes the file; returns whether the file is still usable. */
  private boolean write(List<AuditRecord> batch, BufferedWriter out, boolean fileOk) {
    for (AuditRecord r : batch) {
      String line = log(r);
      if (fileOk && line != null) {
        try {
          out.write(line);
          out.write('\n');
        } catch (IOException e) {
          fileOk = false;
          LOG.error("writing the audit file {} failed; records reach the log only from now on", file, e);
        }
      }
    }
    if (fileOk) {
      try {
        out.flush();
      } catch (IOException e) {
        fileOk = false;
        LOG.error("writing the audit file {} failed; records reach the log only from now on", file, e);
      }
    }
    return fileOk;
  }

  /**
   * Writes every record accepted so far, closes the file and stops the writer. Idempotent; if
   * interrupted, restores the interrupt flag (records still queued may then be missing).
   */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      t = writer;
    }
    if (t == null) {
      return;
    }
    state.addAndGet(CLOSED);
    LockSupport.unpark(t);
    try {
      t.join(TimeUnit.SECONDS.toMillis(30));
      if (t.isAlive()) {
        LOG.error("the audit writer did not finish within 30 s; {} may miss records", file);
      }
    } catch (InterruptedException e) {
      t.interrupt();
      Thread.currentThread().interrupt();
    }
  }
}
