package io.dtac.broker.server.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a plugin's processes from outliving the agent, whatever the plugin does with its stdin
 * (Linux, with util-linux {@code setsid}).
 *
 * <p>The plugin is started through {@code setsid}, which puts it in a new session and process
 * group of its own and then execs it, so it keeps the process id the agent launched; the processes
 * it forks are in that group too. Next to it the agent starts its guard: {@code /bin/sh}, in a
 * session of its own as well (so that a signal to the agent's process group or terminal does not
 * reach it), blocked reading a pipe whose only writer is the agent. When that pipe closes, the
 * guard sends SIGKILL to the plugin's process group and exits. The pipe closes when the agent
 * releases the guard (the plugin ended, was stopped or killed: what is left of its group goes
 * with it) or when the agent dies, even by SIGKILL, since the kernel then closes the agent's end.
 * The guard ignores SIGHUP, SIGINT, SIGQUIT and SIGTERM.
 *
 * <p>Limits: a process that leaves the group (it calls {@code setsid} or {@code setpgid} itself,
 * as a daemon does) is not reached; killing the guard itself with SIGKILL disarms it; if the agent
 * dies in the moment between starting the plugin and starting its guard, only the plugin's own
 * stdin watching remains. Without {@code setsid} or {@code /bin/sh} plugins are started as before,
 * without a guard.
 *
 * <p>Cost per plugin launch: one {@code setsid} exec in the plugin's start, and one small shell
 * process with a pipe (and the JVM's waiter thread for it) for as long as the plugin runs.
 */
public final class ProcessGroupGuard {
  /** The name in every guard's command line: {@code /bin/sh -c ... dtac-plugin-guard PGID}. */
  public static final String NAME = "dtac-plugin-guard";

  private static final Logger LOG = LoggerFactory.getLogger(ProcessGroupGuard.class);
  private static final Path SH = Path.of("/bin/sh");
  private static final Path SETSID = firstExecutable(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));
  /** Reads until end of file, whatever arrives; then kills process group $1. */
  private static final String SCRIPT =
      "trap '' HUP INT QUIT TERM; while read -r _; do :; done; kill -KILL -\"$1\" 2>/dev/null";
  private static final AtomicBoolean REPORTED_UNAVAILABLE = new AtomicBoolean();

  /** No guard: where guards are unavailable, or the guard could not be started. */
  static final ProcessGroupGuard NONE = new ProcessGroupGuard(null);

  private final Process guard;

  private ProcessGroupGuard(Process guard) {
    this.guard = guard;
  }

  private static Path firstExecutable(Path... candidates) {
    for (Path p : candidates) {
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** Whether plugins get their own process group and a guard here. */
  static boolean available() {
    return SETSID != null && Files.isExecutable(SH);
  }

  /**
   * {@code command} started in a new session and process group of its own, when guards are
   * available; else {@code command} unchanged. The process keeps its id ({@code setsid} execs; it
   * forks only when the caller leads a process group, which a process the JVM starts does not).
   */
  static List<String> command(List<String> command) {
    if (!available()) {
      if (REPORTED_UNAVAILABLE.compareAndSet(false, true)) {
        LOG.warn("{} or {} is missing: plugins are not started in a process group of their own, and"
            + " one that ignores its stdin may outlive an agent that is killed", "setsid", SH);
      }
      return command;
    }
    List<String> c = new ArrayList<>(command.size() + 1);
    c.add(SETSID.toString());
    c.addAll(command);
    return c;
  }

  /**
   * Starts the guard of {@code plugin}, a process started with {@link #command}: it kills the
   * plugin's process group when {@link #release}d (which happens by itself when the plugin ends)
   * or when the agent dies. Never throws: without a guard the plugin still runs.
   */
  static ProcessGroupGuard watch(Process plugin) {
    if (!available()) {
      return NONE;
    }
    ProcessBuilder pb =
        new ProcessBuilder(SETSID.toString(), SH.toString(), "-c", SCRIPT, NAME, Long.toString(plugin.pid()))
            .directory(Path.of("/").toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD);
    pb.environment().clear();
    ProcessGroupGuard g;
    try {
      g = new ProcessGroupGuard(pb.start());
    } catch (IOException e) {
      LOG.warn("cannot start the guard of plugin process {}: {}; it may outlive an agent that is killed",
          plugin.pid(), e.toString());
      return NONE;
    }
    plugin.onExit().thenRun(g::release);
    return g;
  }

  /**
   * Kills what is left of the plugin's process group (SIGKILL) and ends the guard, without
   * waiting for either. Idempotent.
   */
  void release() {
    if (guard == null) {
      return;
    }
    try {
      guard.getOutputStream().close();
    } catch (IOException e) {
      // already closed
    }
  }

  /** {@link #release()}, then waits for the guard to end (it has sent its SIGKILL then), at most {@code timeout}. */
  void close(Duration timeout) {
    if (guard == null) {
      return;
    }
    release();
    try {
      if (!guard.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("the guard {} of a plugin did not end within {} ms; killing it", guard.pid(), timeout.toMillis());
        guard.destroyForcibly();
      }
    } catch (InterruptedException e) {
      guard.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
