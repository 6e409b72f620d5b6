package io.dtac.maven.internal;

import io.dtac.core.Protocol;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Makes a class-data archive of a plugin's jar by a training start: the plugin runs as the agent
 * would start it ({@code DTAC_PLUGINS=true}, a private Unix socket directory), prints its handshake
 * line, and is stopped with SIGTERM; the JVM writes the archive as it exits. On a JDK with the AOT
 * cache (25+: {@code -XX:AOTMode=record}, then {@code -XX:AOTMode=create}) that is the archive;
 * before, a dynamic CDS archive ({@code -XX:ArchiveClassesAtExit}, 17+).
 *
 * <p>The JVM ties an archive to its classpath: the path (on 17), the size and the modification
 * time of each jar. The jar is therefore given as {@code /dev/fd/3}, the same path wherever the
 * launcher finds it later, and must have {@link #JAR_MTIME} as its modification time, which the
 * launcher gives its copy too.
 */
public final class ClassDataArchive {
  /** The modification time of the jar at training and of the launcher's copy (2000-01-01T00:00:00Z). */
  public static final Instant JAR_MTIME = Instant.parse("2000-01-01T00:00:00Z");
  /** {@link #JAR_MTIME} as {@code touch -t} reads it with {@code TZ=UTC0}. */
  static final String JAR_MTIME_TOUCH = "200001010000";
  /** The jar's path for the JVM, at training and at run time. */
  static final String JAR_PATH = "/dev/fd/3";

  private static final String HANDSHAKE = "CONNECT{{";

  private ClassDataArchive() {}

  /**
   * How to train: the JDK to train with (the archive serves only that JDK build; another one
   * ignores it) and how long the plugin may take to print its handshake line.
   *
   * @param javaHome the JDK's home directory
   * @param timeout how long to wait for the handshake line, and then for the JVM to exit
   */
  public record Training(Path javaHome, Duration timeout) {}

  /**
   * Trains {@code jar} and returns the archive's bytes, or empty (with the reason given to {@code
   * warn}) if the plugin did not print its handshake line or the JVM wrote no archive.
   *
   * @param jar the merged jar, with modification time {@link #JAR_MTIME}
   * @param jvmOptions the plugin's default JVM options ({@code -Xshare} ones are left out)
   */
  public static Optional<byte[]> make(Training training, Path jar, String mainClass, List<String> jvmOptions,
      Consumer<String> warn) throws IOException {
    Path work = Files.createTempDirectory(jar.getParent(), ".cds", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    try {
      Files.setLastModifiedTime(jar, FileTime.from(JAR_MTIME));
      Path java = training.javaHome().resolve("bin/java");
      if (!Files.isExecutable(java)) {
        warn.accept("no class-data archive: " + java + " is not an executable JVM (cdsJavaHome)");
        return Optional.empty();
      }
      boolean aot = featureVersion(training.javaHome()) >= 25;
      Path archive = work.resolve(aot ? "plugin.aot" : "plugin.jsa");
      Path config = work.resolve("plugin.aotconf");
      List<String> record = aot
          ? List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=" + config)
          : List.of("-XX:ArchiveClassesAtExit=" + archive);
      Optional<String> failure = trainingStart(training, java, jar, mainClass, jvmOptions, record, work);
      if (failure.isEmpty() && aot) {
        failure = assemble(training, java, jar, mainClass, jvmOptions,
            List.of("-XX:AOTMode=create", "-XX:AOTConfiguration=" + config, "-XX:AOTCache=" + archive), work);
      }
      if (failure.isPresent()) {
        warn.accept("no class-data archive: " + failure.get());
        return Optional.empty();
      }
      if (!Files.isRegularFile(archive) || Files.size(archive) == 0) {
        warn.accept("no class-data archive: the training start of " + mainClass + " with " + java + " wrote none");
        return Optional.empty();
      }
      return Optional.of(Files.readAllBytes(archive));
    } finally {
      deleteTree(work);
    }
  }

  /** Starts the plugin, waits for its handshake line, stops it with SIGTERM; a failure's reason. */
  private static Optional<String> trainingStart(Training training, Path java, Path jar, String mainClass,
      List<String> jvmOptions, List<String> archiveOptions, Path work) throws IOException {
    Path sockets = Files.createDirectory(work.resolve("sockets"));
    Process p = start(java, jar, mainClass, jvmOptions, archiveOptions, work, Map.of(
        Protocol.ENV_PLUGINS, "true", Protocol.ENV_UNIX_SOCKET_DIR, sockets.toString()));
    try {
      CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> firstLine(p));
      String line;
      try {
        line = first.get(training.timeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        return Optional.of("the training start of " + mainClass + " printed no handshake line within "
            + training.timeout().toSeconds() + " s");
      } catch (ExecutionException e) {
        return Optional.of("the training start of " + mainClass + " failed: " + e.getCause());
      }
      if (line == null || !line.startsWith(HANDSHAKE)) {
        return Optional.of("the training start of " + mainClass + " printed " + (line == null ? "nothing" : "'" + line + "'")
            + " instead of its handshake line" + stderrOf(work));
      }
      p.destroy();
      if (!p.waitFor(training.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        return Optional.of("the training start of " + mainClass + " did not exit on SIGTERM");
      }
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }

  /** Runs the JVM to its end (the AOT cache's assembly step); a failure's reason. */
  private static Optional<String> assemble(Training training, Path java, Path jar, String mainClass,
      List<String> jvmOptions, List<String> archiveOptions, Path work) throws IOException {
    Process p = start(java, jar, mainClass, jvmOptions, archiveOptions, work, Map.of());
    try {
      p.getInputStream().transferTo(OutputStream.nullOutputStream());
      if (!p.waitFor(training.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
        return Optional.of("the AOT cache of " + mainClass + " was not made within " + training.timeout().toSeconds() + " s");
      }
      return p.exitValue() == 0 ? Optional.empty()
          : Optional.of("making the AOT cache of " + mainClass + " failed with code " + p.exitValue() + stderrOf(work));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    } finally {
      p.destroyForcibly();
    }
  }

  private static Process start(Path java, Path jar, String mainClass, List<String> jvmOptions,
      List<String> archiveOptions, Path work, Map<String, String> env) throws IOException {
    // The jar is opened as descriptor 3 by sh: ProcessBuilder passes no other descriptor.
    List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", "exec 3<\"$0\" && exec \"$@\"", jar.toString(),
        java.toString()));
    command.addAll(List.of(Launcher.FIXED_JVM_OPTIONS.split(" ")));
    for (String option : jvmOptions) {
      if (!option.startsWith("-Xshare")) {
        command.add(option);
      }
    }
    command.addAll(archiveOptions);
    command.addAll(List.of("-cp", JAR_PATH, mainClass));
    ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile())
        .redirectError(work.resolve("stderr.txt").toFile());
    pb.environment().remove(Protocol.ENV_PLUGIN_JAVA_OPTS);
    pb.environment().remove("JAVA_TOOL_OPTIONS");
    pb.environment().remove("JDK_JAVA_OPTIONS");
    pb.environment().putAll(env);
    return pb.start();
  }

  private static String firstLine(Process p) {
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line = out.readLine();
      CompletableFuture.runAsync(() -> drain(out));
      return line;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void drain(BufferedReader out) {
    try {
      while (out.readLine() != null) {
        // The plugin's later output is of no use here; reading it keeps the pipe from filling.
      }
    } catch (IOException e) {
      // The process ended.
    }
  }

  private static String stderrOf(Path work) {
    try {
      List<String> lines = Files.readAllLines(work.resolve("stderr.txt"), StandardCharsets.UTF_8);
      return lines.isEmpty() ? "" : "; its stderr ended with: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }

  /** The JDK's feature version from its {@code release} file (JAVA_VERSION="25.0.1"); 17 if unknown. */
  static int featureVersion(Path javaHome) {
    try {
      for (String line : Files.readAllLines(javaHome.resolve("release"), StandardCharsets.UTF_8)) {
        if (line.startsWith("JAVA_VERSION=")) {
          String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
          return Integer.parseInt(v.split("[.+-]")[0]);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // An unknown JDK gets the archive every supported JDK can make.
    }
    return 17;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
