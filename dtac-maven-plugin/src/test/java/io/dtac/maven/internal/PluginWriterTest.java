package io.dtac.maven.internal;

import io.dtac.core.Protocol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writes real plugin files and runs them as the agent does: executed directly, through /bin/sh. */
class PluginWriterTest {
  private static final String JAVA_HOME = System.getProperty("java.home");
  private static final String FIXED = Launcher.FIXED_JVM_OPTIONS;

  @TempDir Path dir;

  @Test
  void writesOneExecutableFileWhoseSha256IsReportedAndStoredAndThatRunsWhereverItIsCopied() throws Exception {
    PluginFile file = PluginWriter.write(spec("hello", Launcher.DEFAULT_JVM_OPTIONS));

    Path plugin = dir.resolve("out/hello.plugin");
    assertEquals(plugin, file.path());
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(plugin)));
    assertEquals(sha256(plugin), file.sha256());
    assertEquals(Files.size(plugin), file.size());
    assertEquals(file.sha256() + "  hello.plugin\n", Files.readString(dir.resolve("out/hello.plugin.sha256")),
        "sha256sum -c format");
    assertTrue(Files.readString(plugin, StandardCharsets.ISO_8859_1).startsWith("#!/bin/sh\n"));
    try (Stream<Path> files = Files.list(dir.resolve("out"))) {
      assertEquals(List.of("hello.plugin", "hello.plugin.sha256"), files.map(p -> p.getFileName().toString()).sorted().toList(),
          "nothing else is left behind");
    }

    PluginFileRun run = run(plugin, Map.of(), "one arg", "two");
    assertEquals(0, run.exit(), run.output());
    assertEquals(List.of("jvm " + FIXED + " " + Launcher.DEFAULT_JVM_OPTIONS, "java.home " + JAVA_HOME, "arg one arg", "arg two"),
        run.lines());

    Path elsewhere = Files.createDirectories(dir.resolve("somewhere/else")).resolve("renamed.plugin");
    Files.copy(plugin, elsewhere, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    deleteTree(dir.resolve("out"));
    deleteTree(dir.resolve("classes"));
    PluginFileRun copied = run(elsewhere, Map.of(), "x");
    assertEquals(0, copied.exit(), copied.output());
    assertEquals("arg x", copied.lines().get(2), "a copy alone, with the original and its classes gone, still runs");
  }

  @Test
  void dtacPluginJavaOptsReplacesTheDefaultOptionsWhenSetAndNotEmpty() throws Exception {
    Path plugin = PluginWriter.write(spec("opts", "-Xss512k -XX:+UseSerialGC")).path();

    assertEquals("jvm " + FIXED + " -Xmx48m -Dx=y", run(plugin, Map.of(Protocol.ENV_PLUGIN_JAVA_OPTS, "-Xmx48m -Dx=y")).lines().get(0));
    assertEquals("jvm " + FIXED + " -Xss512k -XX:+UseSerialGC", run(plugin, Map.of(Protocol.ENV_PLUGIN_JAVA_OPTS, "")).lines().get(0),
        "set but empty keeps the defaults, as the example scripts did");
    assertEquals("jvm " + FIXED + " -Xss512k -XX:+UseSerialGC", run(plugin, Map.of()).lines().get(0));
  }

  @Test
  void noDefaultOptionsMeansTheJvmsOwnUnlessTheVariableGivesSome() throws Exception {
    Path plugin = PluginWriter.write(spec("plain", "")).path();

    assertEquals("jvm " + FIXED, run(plugin, Map.of()).lines().get(0));
    assertEquals("jvm " + FIXED + " -Xss1m", run(plugin, Map.of(Protocol.ENV_PLUGIN_JAVA_OPTS, "-Xss1m")).lines().get(0));
  }

  @Test
  void javaHomePicksTheJvmElseJavaOnPathElseItSaysWhatIsMissing() throws Exception {
    Path plugin = PluginWriter.write(spec("jvm", "")).path();
    Path noJava = Files.createDirectories(dir.resolve("empty-bin"));

    PluginFileRun viaHome = run(plugin, Map.of("JAVA_HOME", JAVA_HOME, "PATH", noJava.toString()));
    assertEquals("java.home " + JAVA_HOME, viaHome.lines().get(1), viaHome.output());
    PluginFileRun viaPath = run(plugin, Map.of("PATH", Path.of(JAVA_HOME, "bin") + ":" + noJava));
    assertEquals(0, viaPath.exit(), viaPath.output());

    PluginFileRun none = run(plugin, Map.of("PATH", noJava.toString()));
    assertEquals(127, none.exit());
    assertEquals("jvm.plugin: no JVM: java not found; set JAVA_HOME or put java (17+) on PATH", none.output().strip());
    PluginFileRun badHome = run(plugin, Map.of("JAVA_HOME", noJava.toString(), "PATH", noJava.toString()));
    assertEquals(127, badHome.exit());
    assertEquals("jvm.plugin: no JVM: " + noJava + "/bin/java not found; set JAVA_HOME or put java (17+) on PATH",
        badHome.output().strip());
  }

  @Test
  void theJvmsOwnWarningsGoToStderrSoTheFirstLineOnStdoutIsThePlugins() throws Exception {
    Path plugin = PluginWriter.write(spec("warns", "")).path();
    // A class-data archive made for this file, used by a copy elsewhere: the JVM warns that it does
    // not match (by default on stdout, where it would come before a plugin's handshake line).
    Path archive = dir.resolve("warns.jsa");
    assertEquals(0, run(plugin, Map.of(Protocol.ENV_PLUGIN_JAVA_OPTS, "-XX:ArchiveClassesAtExit=" + archive)).exit());
    Path copy = Files.copy(plugin, dir.resolve("copy.plugin"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    ProcessBuilder pb = new ProcessBuilder(copy.toString()).redirectError(dir.resolve("stderr.txt").toFile());
    pb.environment().put(Protocol.ENV_PLUGIN_JAVA_OPTS, "-Xshare:auto -XX:SharedArchiveFile=" + archive);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertTrue(out.startsWith("jvm "), out);
    assertTrue(Files.readString(dir.resolve("stderr.txt")).contains("[warning]"),
        "the JVM did warn, on stderr: " + Files.readString(dir.resolve("stderr.txt")));
  }

  @Test
  void theLauncherRunsUnderShAndBashToo() throws Exception {
    Path plugin = PluginWriter.write(spec("shells", "")).path();
    for (String shell : List.of("/bin/sh", "bash")) {
      Process p = new ProcessBuilder(shell, plugin.toString(), "arg").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, p.exitValue(), shell + ": " + out);
      assertTrue(out.contains("arg arg"), shell + ": " + out);
    }
  }

  @Test
  void theSameCodeGivesTheSameFileAndAnExistingFileIsReplaced() throws Exception {
    PluginFile first = PluginWriter.write(spec("same", Launcher.DEFAULT_JVM_OPTIONS));
    byte[] bytes = Files.readAllBytes(first.path());
    PluginFile second = PluginWriter.write(spec("same", Launcher.DEFAULT_JVM_OPTIONS));
    assertEquals(first.sha256(), second.sha256());
    assertArrayEquals(bytes, Files.readAllBytes(second.path()));

    Files.writeString(dir.resolve("classes/extra.txt"), "changed");
    PluginFile changed = PluginWriter.write(spec("same", Launcher.DEFAULT_JVM_OPTIONS));
    assertFalse(changed.sha256().equals(first.sha256()), "the hash covers the code");
    assertEquals(changed.sha256(), sha256(changed.path()));
  }

  @Test
  void aMainClassInNoInputFailsWithSimilarNamesAndLeavesNoFile() throws Exception {
    Path classes = Jars.classesOf(dir.resolve("classes"), PrintArgs.class);
    Path lib = Jars.jar(dir, "lib-1.0.jar", Jars.entries("org/other/PrintArgs.class", "x"));
    PluginSpec spec = PluginSpec.of("wrong", "com.example.PrintArgs", "", List.of(new Input("target/classes", classes),
        new Input("lib-1.0.jar", lib)), dir.resolve("out"), Instant.EPOCH.plusSeconds(400_000_000L), "test");

    PackagingException e = assertThrows(PackagingException.class, () -> PluginWriter.write(spec));

    assertEquals("mainClass com.example.PrintArgs is not in the plugin: no com/example/PrintArgs.class in"
        + " target/classes or any of the 1 other inputs (runtime dependencies); did you mean"
        + " io.dtac.maven.internal.PrintArgs or org.other.PrintArgs?", e.getMessage());
    try (Stream<Path> files = Files.list(dir.resolve("out"))) {
      assertEquals(0, files.count(), "no plugin file, no partial file");
    }
    PluginSpec unknown = PluginSpec.of("wrong", "com.example.Nothing", "", List.of(new Input("target/classes", classes)),
        dir.resolve("out"), Instant.EPOCH.plusSeconds(400_000_000L), "test");
    assertEquals("mainClass com.example.Nothing is not in the plugin: no com/example/Nothing.class in target/classes;"
            + " check the name, and that the class is compiled into this project",
        assertThrows(PackagingException.class, () -> PluginWriter.write(unknown)).getMessage());
  }

  private PluginSpec spec(String name, String jvmOptions) throws Exception {
    Path classes = Jars.classesOf(dir.resolve("classes"), PrintArgs.class);
    return PluginSpec.of(name, PrintArgs.class.getName(), jvmOptions, List.of(new Input("target/classes", classes)),
        dir.resolve("out"), Instant.parse("2026-11-24T00:00:00Z"), "test");
  }

  /** Runs the file itself, as the agent does, with {@code env} on top of a clean environment. */
  private static PluginFileRun run(Path plugin, Map<String, String> env, String... args) throws Exception {
    return PluginFileRun.of(plugin, env, args);
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
