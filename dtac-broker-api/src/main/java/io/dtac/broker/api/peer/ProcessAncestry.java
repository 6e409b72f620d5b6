package io.dtac.broker.api.peer;

import java.util.Optional;
import java.util.function.LongPredicate;

/** Walks up the process tree, as the kernel reports it, to find which known process a pid descends from. */
public final class ProcessAncestry {
  /** Deeper trees than this are not followed (a loop guard; real plugin trees are shallow). */
  private static final int MAX_DEPTH = 64;

  private ProcessAncestry() {}

  /**
   * Finds {@code pid} itself or its nearest ancestor that {@code known} accepts. A process that
   * ends while it is walked ends the walk (nothing found); the walk stops at init and after 64
   * levels.
   *
   * @param pid the process to start from
   * @param known which process ids count as found
   * @return the first id on the way up, {@code pid} included, that {@code known} accepts, or empty
   */
  public static Optional<Long> selfOrAncestor(long pid, LongPredicate known) {
    Optional<ProcessHandle> p = ProcessHandle.of(pid);
    for (int depth = 0; depth < MAX_DEPTH && p.isPresent(); depth++) {
      long id = p.get().pid();
      if (known.test(id)) {
        return Optional.of(id);
      }
      if (id <= 1) {
        return Optional.empty();
      }
      p = p.get().parent();
    }
    return Optional.empty();
  }

  /**
   * Whether a process descends from another, as the process tree says now.
   *
   * @param pid the process to start from
   * @param ancestor the process looked for
   * @return true when {@code pid} is {@code ancestor} or one of its descendants
   */
  public static boolean isSelfOrDescendant(long pid, long ancestor) {
    return selfOrAncestor(pid, id -> id == ancestor).isPresent();
  }
}
