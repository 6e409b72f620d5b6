package io.dtac.broker.server.internal;

import io.dtac.core.internal.LogRecords;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One plugin OS process: launched with {@code DTAC_PLUGINS=true}, its first stdout line read as
 * the handshake, its stderr (and any later stdout) copied into the agent's log through its {@link
 * PluginLog} (escaped, each line cut at {@value LogRecords#MAX_MESSAGE_CHARS} characters,
 * rate-limited), and stopped politely, then forcibly, together with its child processes.
 */
public final class PluginProcess {
  private static final int STDERR_TAIL_LINES = 20;
  private static final int STDERR_TAIL_LINE_CHARS = 1024;

  private final Path file;
  private final Process process;
  private final CompletableFuture<String> firstLine = new CompletableFuture<>();
  private final Deque<String> stderrTail = new ArrayDeque<>();
  /** What has arrived of the first stdout line while it is incomplete, for the timeout message. */
  private final StringBuilder partialFirstLine = new StringBuilder();
  private final PluginLog log;
  private Thread stdoutPump;
  private Thread stderrPump;
  /** Kills the process group when the agent dies or the process ends or is stopped. */
  private volatile ProcessGroupGuard guard = ProcessGroupGuard.NONE;

  private PluginProcess(Path file, Process process, PluginLog log) {
    this.file = file;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code file} with exactly {@code env} (see {@link PluginEnvironment}), as {@code
   * account} when not null. Its stdin stays an open pipe for as long as the agent runs: the plugin
   * exits when it closes. {@code stdinLine}, when not null, is written to it first (the broker
   * credential where the kernel cannot attest callers). Its output goes to {@code log}.
   */
  public static PluginProcess launch(
      Path file, Map<String, String> env, RunAs account, String stdinLine, PluginLog log) throws IOException {
    String path = file.toAbsolutePath().toString();
    ProcessBuilder pb =
        new ProcessBuilder(ProcessGroupGuard.command(account == null ? List.of(path) : account.command(path)));
    pb.directory(file.toAbsolutePath().getParent().toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    Process process = pb.start();
    PluginProcess p = new PluginProcess(file, process, log);
    p.stdoutPump = p.pump(process.getInputStream(), "stdout", true);
    p.stderrPump = p.pump(process.getErrorStream(), "stderr", false);
    p.guard = ProcessGroupGuard.watch(process);
    if (stdinLine != null) {
      try {
        process.getOutputStream().write((stdinLine + "\n").getBytes(StandardCharsets.US_ASCII));
        process.getOutputStream().flush();
      } catch (IOException e) {
        // it exited at once; the handshake step reports how
      }
    }
    return p;
  }

  /** Logs this process's output under the plugin's name from now on. */
  public void renameLog(String pluginName) {
    log.rename(pluginName);
  }

  /** Where this process's output and log records go. */
  public PluginLog log() {
    return log;
  }

  public long pid() {
    return process.pid();
  }

  public Path file() {
    return file;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /**
   * The exit code of the ended process (128 + N when killed by signal N).
   *
   * @throws IllegalThreadStateException if it is still running
   */
  public int exitValue() {
    return process.exitValue();
  }

  /** Completes with the exit code when the process ends. */
  public CompletableFuture<Integer> onExit() {
    return process.onExit().thenApply(Process::exitValue);
  }

  /**
   * Waits for the handshake line.
   *
   * @throws HandshakeException if the process prints nothing in time, exits first, or its first
   *     line is too long
   */
  public String awaitHandshakeLine(Duration timeout) throws InterruptedException {
    try {
      return firstLine.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new HandshakeException(
          "printed no handshake line within " + timeout.toMillis() + " ms" + partialSummary()
              + stderrSummary());
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof HandshakeException) {
        throw (HandshakeException) cause;
      }
      // stdout closed without a line: usually the process ended; say with which code.
      if (process.waitFor(2, TimeUnit.SECONDS)) {
        stderrPump.join(1_000);
        throw new HandshakeException(
            "exited with code " + process.exitValue() + " before printing its handshake line"
                + stderrSummary());
      }
      throw new HandshakeException("closed its stdout without printing a handshake line" + stderrSummary());
    }
  }

  private String partialSummary() {
    synchronized (partialFirstLine) {
      return partialFirstLine.length() == 0
          ? ""
          : " (it printed " + partialFirstLine.length() + " characters without ending the line: "
              + io.dtac.core.internal.Messages.quote(partialFirstLine.toString()) + ")";
    }
  }

  private String stderrSummary() {
    synchronized (stderrTail) {
      return stderrTail.isEmpty() ? "" : "; its stderr ended with: " + String.join(" | ", stderrTail);
    }
  }

  /**
   * Stops the process and its descendants: SIGTERM, then SIGKILL after {@code grace}. Blocks
   * until the process is gone; idempotent.
   */
  public void stop(Duration grace) {
    Set<ProcessHandle> descendants = new HashSet<>(process.descendants().toList());
    if (process.isAlive()) {
      process.destroy();
      descendants.forEach(ProcessHandle::destroy);
      try {
        if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
          log.logger().warn("did not stop within {} ms; killing it and its child processes", grace.toMillis());
          // Children started during the grace period count too; once the process is gone its
          // orphans can no longer be found through it.
          process.descendants().forEach(descendants::add);
          process.destroyForcibly();
          process.waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    List<CompletableFuture<ProcessHandle>> orphans = new ArrayList<>();
    for (ProcessHandle h : descendants) {
      if (h.isAlive()) {
        h.destroyForcibly();
        orphans.add(h.onExit());
      }
    }
    try {
      CompletableFuture.allOf(orphans.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.logger().warn("child processes {} may still be running", orphans.size());
    }
    awaitOutput();
    try {
      process.getOutputStream().close();
    } catch (IOException ignored) {
      // the pipe is already closed
    }
    guard.close(Duration.ofSeconds(5));
  }

  /**
   * Lets the output readers log what the ended process wrote last (and the count of dropped lines)
   * before stop returns; a descendant that still holds the pipes does not hold this up for long.
   */
  private void awaitOutput() {
    try {
      for (Thread t : new Thread[] {stdoutPump, stderrPump}) {
        if (t != null && !process.isAlive()) {
          t.join(1_000);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Kills the process at once (used when the agent itself is going away). */
  public void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    guard.release();
  }

  private Thread pump(InputStream in, String stream, boolean handshake) {
    Thread t =
        new Thread(
            () -> readLines(in, stream, handshake),
            "dtac-" + stream + "-" + PluginDiscovery.stem(file) + "-" + process.pid());
    t.setDaemon(true);
    t.start();
    return t;
  }

  private void readLines(InputStream in, String stream, boolean handshake) {
    boolean first = handshake;
    try (Reader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      StringBuilder line = new StringBuilder();
      long cut = 0;
      int c;
      while ((c = r.read()) >= 0) {
        int max = first ? HandshakeParser.MAX_LINE_LENGTH : LogRecords.MAX_MESSAGE_CHARS;
        if (c == '\n') {
          first = line(stream, line, cut, first);
          line.setLength(0);
          cut = 0;
        } else if (line.length() < max) {
          line.append((char) c);
          if (first) {
            synchronized (partialFirstLine) {
              partialFirstLine.append((char) c);
            }
          }
        } else if (first) {
          firstLine.completeExceptionally(
              new HandshakeException(
                  "its first stdout line is longer than " + HandshakeParser.MAX_LINE_LENGTH
                      + " characters; expected the CONNECT{{...}} handshake line"));
          first = false;
          cut++;
        } else {
          cut++;
        }
      }
      if (line.length() > 0) {
        first = line(stream, line, cut, first);
      }
    } catch (IOException e) {
      // the process ended and its pipe closed
    }
    if (first) {
      firstLine.completeExceptionally(new IOException(stream + " closed"));
    }
    log.flush();
  }

  private boolean line(String stream, CharSequence text, long cut, boolean first) {
    if (first) {
      firstLine.complete(text.toString());
      return false;
    }
    if (stream.equals("stderr")) {
      synchronized (stderrTail) {
        if (stderrTail.size() == STDERR_TAIL_LINES) {
          stderrTail.removeFirst();
        }
        stderrTail.addLast(LogRecords.escape(text, STDERR_TAIL_LINE_CHARS, cut));
      }
    }
    log.line(stream, text, cut);
    return false;
  }

  @Override
  public String toString() {
    return file.getFileName() + "(pid " + process.pid() + ")";
  }
}
