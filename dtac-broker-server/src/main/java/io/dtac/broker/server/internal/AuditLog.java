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
 * <p>The file has one writer thread, so lines never interleave; callers only enqueue and never
 * wait for the disk unless {@value #CAPACITY} records are already waiting. The writer flushes
 * whenever it has emptied the queue. {@link #close()} writes every record accepted before it,
 * then closes the file; records after close reach SLF4J only. Thread-safe.
 */
public final class AuditLog implements AutoCloseable {
  /** The name of the SLF4J logger that receives audit records. */
  public static final String LOGGER = "dtac.audit";

  static final int CAPACITY = 65_536;
  private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER);
  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String END = new String("end of audit");

  private final Path file;
  private final BrokerMetrics metrics;
  private final String runId;
  private final AtomicLong sequence = new AtomicLong();
  private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(CAPACITY);
  private final ReadWriteLock closing = new ReentrantReadWriteLock();
  private final AtomicBoolean warnedAfterClose = new AtomicBoolean();
  private volatile boolean writerFailed;
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
   * Opens the file (created owner-read/write only if missing, appended to otherwise) and starts
   * the writer. Does nothing without a file, or after {@link #close()}.
   *
   * @throws IOException naming the file if it cannot be opened
   */
  public synchronized void open() throws IOException {
    // Under the lock close() takes: a close() that comes first leaves nothing to start.
    closing.writeLock().lock();
    try {
      openFile();
    } finally {
      closing.writeLock().unlock();
    }
  }

  private void openFile() throws IOException {
    if (file == null || writer != null || closed) {
      return;
    }
    FileChannel channel;
    try {
      channel = FileChannel.open(
          file,
          Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
          ownerOnly());
    } catch (IOException e) {
      throw new IOException("cannot open the audit file " + file + ": " + e, e);
    }
    BufferedWriter out =
        new BufferedWriter(new OutputStreamWriter(Channels.newOutputStream(channel), StandardCharsets.UTF_8), 64 * 1024);
    Thread t = new Thread(() -> drain(out), "dtac-audit-writer");
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

  /** Emits one record. Never throws; blocks only while the file writer is far behind. */
  public void record(AuditRecord r) {
    metrics.callCompleted(r);
    String line;
    try {
      line = JSON.writeValueAsString(r);
    } catch (JsonProcessingException e) {
      LOG.error("cannot serialise audit record {}", r, e);
      return;
    }
    AUDIT.info(line);
    if (file == null) {
      return;
    }
    closing.readLock().lock();
    try {
      if (writerFailed) {
        return;
      }
      if (closed || writer == null) {
        if (warnedAfterClose.compareAndSet(false, true)) {
          LOG.warn("audit records after the broker stopped reach the log only, not {}", file);
        }
        return;
      }
      if (!queue.offer(line)) {
        metrics.auditBackpressure();
        queue.put(line);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      LOG.error("interrupted while queueing an audit record for {}; it reached the log only", file);
    } finally {
      closing.readLock().unlock();
    }
  }

  private void drain(BufferedWriter out) {
    List<String> batch = new ArrayList<>(1024);
    boolean end = false;
    try (out) {
      while (!end) {
        batch.add(queue.take());
        queue.drainTo(batch, 4096);
        for (String line : batch) {
          if (line == END) {
            end = true;
            break;
          }
          out.write(line);
          out.write('\n');
        }
        batch.clear();
        out.flush();
      }
    } catch (IOException e) {
      writerFailed = true;
      queue.clear();
      LOG.error("writing the audit file {} failed; records reach the log only from now on", file, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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
      if (!queue.offer(END, 30, TimeUnit.SECONDS)) {
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
