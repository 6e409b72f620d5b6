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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail: every {@link AuditRecord} goes, as one JSON line, to the SLF4J logger
 * {@value #LOGGER} at INFO and, when configured, to an append-only JSON-lines file.
 *
 * <p>Callers, often the broker's transport threads, never wait: {@link #record} only hands the
 * record to a bounded queue ({@value #CAPACITY} records); one writer thread turns records into
 * JSON, logs them and writes the file, so lines never interleave, and flushes whenever it has
 * emptied the queue. When the queue is nearly full ({@link #behind()}), the broker refuses new
 * calls rather than run calls it could not audit; a record that still finds the queue full is
 * counted, never silently lost: {@code dtac.broker.audit.backpressure} and a log line saying how
 * many were dropped. Before {@link #open()} and after {@link #close()} records go to SLF4J
 * directly. {@link #close()} writes every record accepted before it, then closes the file.
 * Thread-safe.
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
  private static final AuditRecord END = new AuditRecord("", "end", "", "", "", "", "", "", "", 0, 0, 0);

  private final Path file;
  private final BrokerMetrics metrics;
  private final String runId;
  private final AtomicLong sequence = new AtomicLong();
  private final BlockingQueue<AuditRecord> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final AtomicLong dropped = new AtomicLong();
  /** Records in the queue, as {@link #behind()} reads it without the queue's lock. */
  private final java.util.concurrent.atomic.AtomicInteger waiting = new java.util.concurrent.atomic.AtomicInteger();
  private volatile long lastDropReport;
  private final ReadWriteLock closing = new ReentrantReadWriteLock();
  private final AtomicBoolean warnedAfterClose = new AtomicBoolean();
  private boolean closed;
  private volatile Thread writer;

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
    closing.writeLock().lock();
    try {
      openWriter();
    } finally {
      closing.writeLock().unlock();
    }
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
    // A counter rather than queue.remainingCapacity(), which takes the queue's lock on every call.
    return writer != null && waiting.get() > CAPACITY - HEADROOM;
  }

  /** Emits one record. Never throws and never blocks. */
  public void record(AuditRecord r) {
    metrics.callCompleted(r);
    closing.readLock().lock();
    try {
      if (closed || writer == null) {
        if (closed && file != null && warnedAfterClose.compareAndSet(false, true)) {
          LOG.warn("audit records after the broker stopped reach the log only, not {}", file);
        }
        log(r);
        return;
      }
      if (queue.offer(r)) {
        waiting.incrementAndGet();
      } else {
        metrics.auditBackpressure();
        long n = dropped.incrementAndGet();
        long now = System.nanoTime();
        if (now - lastDropReport > TimeUnit.SECONDS.toNanos(1)) {
          lastDropReport = now;
          LOG.error("{} audit records dropped so far: the audit writer is {} records behind (the disk is"
              + " too slow or stalled); the broker refuses new calls until it catches up", n, CAPACITY);
        }
      }
    } finally {
      closing.readLock().unlock();
    }
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
    boolean end = false;
    boolean fileOk = out != null;
    try {
      while (!end) {
        batch.add(queue.take());
        queue.drainTo(batch, 4096);
        waiting.addAndGet(-batch.size());
        for (AuditRecord r : batch) {
          if (r == END) {
            end = true;
            break;
          }
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
        batch.clear();
        if (fileOk) {
          try {
            out.flush();
          } catch (IOException e) {
            fileOk = false;
            LOG.error("writing the audit file {} failed; records reach the log only from now on", file, e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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

  /**
   * Writes every record accepted so far, closes the file and stops the writer. Idempotent; if
   * interrupted, restores the interrupt flag (records still queued may then be missing).
   */
  @Override
  public void close() {
    Thread t;
    closing.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      t = writer;
    } finally {
      closing.writeLock().unlock();
    }
    if (t == null) {
      return;
    }
    try {
      if (queue.offer(END, 30, TimeUnit.SECONDS)) {
        waiting.incrementAndGet();
      } else {
        LOG.error("the audit writer is stuck; {} may miss records", file);
      }
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
