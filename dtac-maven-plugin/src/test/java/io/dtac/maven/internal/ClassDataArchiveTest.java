package io.dtac.maven.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.core.Protocol;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugin files with a class-data archive, made by a real training start and run as the agent runs
 * them. The plugin here is compiled from source so that a second build of it can say something
 * else: the tampered code of the attack test.
 */
class ClassDataArchiveTest {
  private static final Path JAVA_HOME = Path.of(System.getProperty("java.home"));
  private static final ClassDataArchive.Training TRAINING = new ClassDataArchive.Training(JAVA_HOME, Duration.ofSeconds(60));

  @TempDir Path dir;

  @Test
  void theArchiveIsInTheFileAndACopyElsewhereRunsFromItWithItsJarAsDevFd3() throws Exception {
    Path plugin = write("greeter", "genuine", dir.resolve("out"), TRAINING, new ArrayList<>());
    assertTrue(Files.readString(plugin, StandardCharsets.ISO_8859_1).contains("-XX:SharedArchiveFile="), "an archive was made");
    Path deployed = Files.copy(plugin, Files.createDirectories(dir.resolve("agent/plugins")).resolve("greeter.plugin"));

    Path log = dir.resolve("class-load.txt");
    PluginFileRun run = run(deployed, Map.of("XDG_CACHE_HOME", dir.resolve("cache").toString(),
        Protocol.ENV_PLUGIN_JAVA_OPTS, "-Xshare:auto -Xlog:class+load=info:file=" + log));

    assertEquals("CONNECT{{Greeter:genuine:/dev/fd/3}}", run.output().strip());
    assertTrue(Files.readAllLines(log).stream().anyMatch(l -> l.contains("com.example.Greeting source: shared objects file")),
        "the plugin's classes came from the archive");
    Path cache = onlyCacheDir(dir.resolve("cache"));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cache)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cache.getParent())));
  }

  @Test
  void aTamperedArchiveAndJarInTheCacheAreReplacedFromThePinnedFileBeforeTheJvmReadsThem() throws Exception {
    Path genuine = write("greeter", "genuine", dir.resolve("genuine"), TRAINING, new ArrayList<>());
    Path tampered = write("greeter", "TAMPERED", dir.resolve("tampered"), TRAINING, new ArrayList<>());
    Path cache = dir.resolve("cache");
    Path otherCache = dir.resolve("other-cache");
    assertEquals("CONNECT{{Greeter:genuine:/dev/fd/3}}", run(genuine, Map.of("XDG_CACHE_HOME", cache.toString())).output().strip());
    assertEquals("CONNECT{{Greeter:TAMPERED:/dev/fd/3}}",
        run(tampered, Map.of("XDG_CACHE_HOME", otherCache.toString())).output().strip());

    // The attacker (the plugin's user, or whoever could write there) puts the other build's archive
    // and jar in the genuine file's cache directory, with the modification time the JVM expects.
    Path victim = onlyCacheDir(cache);
    Path evil = onlyCacheDir(otherCache);
    for (String part : List.of("plugin.jar", "plugin.jsa")) {
      Files.copy(evil.resolve(part), victim.resolve(part), StandardCopyOption.REPLACE_EXISTING);
      Files.setLastModifiedTime(victim.resolve(part), FileTime.from(ClassDataArchive.JAR_MTIME));
    }
    assertEquals("CONNECT{{Greeter:TAMPERED:/dev/fd/3}}", runCached(victim),
        "the JVM alone would run the tampered code from the cache: the check below is what stops it");

    PluginFileRun run = run(genuine, Map.of("XDG_CACHE_HOME", cache.toString()));

    assertEquals("CONNECT{{Greeter:genuine:/dev/fd/3}}", run.output().strip(), "the pinned file's code runs");
    byte[] file = Files.readAllBytes(genuine);
    assertTrue(contains(file, Files.readAllBytes(victim.resolve("plugin.jsa"))), "the archive is the file's again");
    assertTrue(contains(file, Files.readAllBytes(victim.resolve("plugin.jar"))), "the jar is the file's again");
  }

  @Test
  void withoutAUsableCacheDirectoryOrWithDtacPluginCdsOffTheFileRunsAsAJarWithoutTheArchive() throws Exception {
    Path plugin = write("greeter", "genuine", dir.resolve("out"), TRAINING, new ArrayList<>());
    String asJar = "CONNECT{{Greeter:genuine:" + plugin + "}}";

    assertEquals(asJar, run(plugin, Map.of()).output().strip(), "no HOME, no XDG_CACHE_HOME");
    assertEquals(asJar, run(plugin, Map.of("XDG_CACHE_HOME", dir.resolve("cache").toString(), Launcher.ENV_CDS, "off"))
        .output().strip());
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    Path linked = Files.createDirectories(dir.resolve("linked"));
    Files.createSymbolicLink(linked.resolve("dtac-plugins"), elsewhere);
    assertEquals(asJar, run(plugin, Map.of("XDG_CACHE_HOME", linked.toString())).output().strip(),
        "a symbolic link is not a private directory");
    try (Stream<Path> files = Files.list(elsewhere)) {
      assertEquals(0, files.count(), "nothing was written through the link");
    }
  }

  @Test
  void aFailedTrainingStartWarnsAndGivesTheFileWithoutAnArchive() throws Exception {
    List<String> warnings = new ArrayList<>();
    Path classes = Jars.classesOf(dir.resolve("classes"), PrintArgs.class);
    PluginSpec spec = PluginSpec.of("plain", PrintArgs.class.getName(), "", List.of(new Input("target/classes", classes)),
        dir.resolve("out"), Instant.parse("2026-11-24T00:00:00Z"), "test");

    byte[] trained = Files.readAllBytes(PluginWriter.write(spec, TRAINING, warnings::add).path());

    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).startsWith("no class-data archive: the training start of io.dtac.maven.internal.PrintArgs printed 'jvm"),
        warnings.get(0));
    assertTrue(warnings.get(0).contains("instead of its handshake line"), warnings.get(0));
    assertArrayEquals(Files.readAllBytes(PluginWriter.write(spec).path()), trained, "the same file as without training");
  }

  /** Packages a plugin whose main prints a handshake line with {@code text}, then waits for SIGTERM. */
  private Path write(String name, String text, Path out, ClassDataArchive.Training training, List<String> warnings)
      throws Exception {
    Path src = Files.createDirectories(dir.resolve("src-" + text + "/com/example"));
    Files.writeString(src.resolve("Greeting.java"),
        "package com.example; final class Greeting { static String text() { return \"" + text + "\"; } }");
    Files.writeString(src.resolve("Greeter.java"), "package com.example; public final class Greeter {\n"
        + "  public static void main(String[] args) throws InterruptedException {\n"
        + "    System.out.println(\"CONNECT{{Greeter:\" + Greeting.text() + \":\" + System.getProperty(\"java.class.path\") + \"}}\");\n"
        + "    System.out.flush();\n"
        + "    if (System.getenv(\"DTAC_PLUGINS\") != null) { Thread.currentThread().join(); }\n"
        + "  }\n"
        + "}\n");
    Path classes = Files.createDirectories(dir.resolve("classes-" + text));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertEquals(0, javac.run(null, null, null, "--release", "17", "-d", classes.toString(),
        src.resolve("Greeting.java").toString(), src.resolve("Greeter.java").toString()));
    PluginSpec spec = PluginSpec.of(name, "com.example.Greeter", Launcher.DEFAULT_JVM_OPTIONS,
        List.of(new Input("target/classes", classes)), out, Instant.parse("2026-11-24T00:00:00Z"), "test");
    Path plugin = PluginWriter.write(spec, training, warnings::add).path();
    assertEquals(List.of(), warnings);
    return plugin;
  }

  private static Path onlyCacheDir(Path cache) throws Exception {
    try (Stream<Path> dirs = Files.list(cache.resolve("dtac-plugins"))) {
      List<Path> all = dirs.toList();
      assertEquals(1, all.size(), all.toString());
      return all.get(0);
    }
  }

  /** What the JVM runs from a cache directory when nothing checks it: the launcher's exec, alone. */
  private static String runCached(Path cacheDir) throws Exception {
    Process p = new ProcessBuilder("/bin/sh", "-c", "exec 3<\"$0\" && exec \"$@\"", cacheDir.resolve("plugin.jar").toString(),
        JAVA_HOME.resolve("bin/java").toString(), "-Xshare:auto", "-XX:SharedArchiveFile=" + cacheDir.resolve("plugin.jsa"),
        "-cp", "/dev/fd/3", "com.example.Greeter").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return out.strip();
  }

  /** Runs the file as the agent would, but without DTAC_PLUGINS, so that it exits after its line. */
  private static PluginFileRun run(Path plugin, Map<String, String> env) throws Exception {
    Map<String, String> withJava = new java.util.HashMap<>(env);
    withJava.putIfAbsent("JAVA_HOME", JAVA_HOME.toString());
    PluginFileRun run = PluginFileRun.of(plugin, withJava);
    assertEquals(0, run.exit(), run.output());
    return run;
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
