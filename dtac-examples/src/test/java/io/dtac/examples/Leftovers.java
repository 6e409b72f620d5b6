package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * What a broker in this JVM may leave behind: its threads (all named "dtac-..."), child
 * processes, and files in its socket directory's parent. Taken before a test, then awaited to
 * return to that.
 */
final class Leftovers {
  private final Set<Thread> threads;
  private final Set<Long> processes;
  private final Path socketParent;

  private Leftovers(Path socketParent) {
    this.threads = dtacThreads();
    this.processes = processes();
    this.socketParent = socketParent;
  }

  /** The state now; {@code socketParent} is the broker's {@code socketDirectory}, which must stay empty. */
  static Leftovers before(Path socketParent) throws IOException {
    Files.createDirectories(socketParent);
    return new Leftovers(socketParent);
  }

  private static Set<Thread> dtacThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().startsWith("dtac-"))
        .collect(Collectors.toSet());
  }

  private static Set<Long> processes() {
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
        .map(ProcessHandle::pid).collect(Collectors.toSet());
  }

  private List<String> newThreads() {
    return dtacThreads().stream().filter(t -> !threads.contains(t)).map(Thread::getName).sorted()
        .collect(Collectors.toList());
  }

  private List<String> newProcesses() {
    return ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
        .filter(h -> !processes.contains(h.pid()))
        .map(h -> h.pid() + " " + h.info().commandLine().orElse("?")).collect(Collectors.toList());
  }

  private List<String> files() {
    try (Stream<Path> files = Files.list(socketParent)) {
      return files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits (a few seconds: threads finish their last step) until nothing new is left, else fails naming it. */
  void assertNothingLeft() {
    Awaitility.await("no thread, process or socket directory left behind")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(() -> {
          assertEquals(List.of(), newThreads(), "threads left behind");
          assertEquals(List.of(), newProcesses(), "processes left behind");
          assertEquals(List.of(), files(), "left in the socket directory's parent " + socketParent);
        });
  }
}
