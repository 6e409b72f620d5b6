package io.dtac.maven;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.artifact.DefaultArtifact;
import org.apache.maven.artifact.handler.DefaultArtifactHandler;
import org.apache.maven.model.Build;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugin.logging.SystemStreamLog;
import org.apache.maven.project.MavenProject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The goal over a project made in the test: which dependencies go in, and what it tells the user. */
class PluginMojoTest {
  @TempDir Path dir;

  private final List<String> log = new ArrayList<>();
  private final Set<Artifact> artifacts = new LinkedHashSet<>();
  private PluginMojo mojo;

  @BeforeEach
  void project() throws Exception {
    Files.createDirectories(dir.resolve("target/classes/com/example"));
    Files.writeString(dir.resolve("target/classes/com/example/Main.class"), "main");
    MavenProject project = new MavenProject();
    project.setFile(dir.resolve("pom.xml").toFile());
    Build build = new Build();
    build.setDirectory(dir.resolve("target").toString());
    build.setOutputDirectory(dir.resolve("target/classes").toString());
    project.setBuild(build);
    project.setArtifacts(artifacts);
    PluginDescriptor descriptor = new PluginDescriptor();
    descriptor.setVersion("1.2.3");

    mojo = new PluginMojo();
    set("project", project);
    set("plugin", descriptor);
    set("mainClass", "com.example.Main");
    set("pluginName", "x");
    set("jvmOptions", "-Xss512k");
    set("outputDirectory", dir.resolve("target").toFile());
    mojo.setLog(new SystemStreamLog() {
      @Override
      public void info(CharSequence content) {
        log.add("INFO " + content);
      }

      @Override
      public void warn(CharSequence content) {
        log.add("WARN " + content);
      }

      @Override
      public boolean isDebugEnabled() {
        return false;
      }
    });
  }

  @Test
  void runtimeDependenciesGoInLessTheExcludedAndAnExcludeThatMatchesNothingIsAWarning() throws Exception {
    dependency("org.bouncycastle", "bcprov", Artifact.SCOPE_COMPILE, "org/bc/P.class");
    dependency("org.bouncycastle", "bcpkix", Artifact.SCOPE_RUNTIME, "org/bc/K.class");
    dependency("com.example", "kept", Artifact.SCOPE_RUNTIME, "com/kept/K.class");
    dependency("com.example", "tests-only", Artifact.SCOPE_TEST, "com/test/T.class");
    dependency("com.example", "provided", Artifact.SCOPE_PROVIDED, "com/provided/P.class");
    set("excludes", List.of("org.bouncycastle:*", "com.example:typo"));

    mojo.execute();

    Path plugin = dir.resolve("target/x.plugin");
    try (JarFile jar = new JarFile(plugin.toFile())) {
      assertNotNull(jar.getEntry("com/example/Main.class"));
      assertNotNull(jar.getEntry("com/kept/K.class"));
      for (String gone : List.of("org/bc/P.class", "org/bc/K.class", "com/test/T.class", "com/provided/P.class")) {
        assertNull(jar.getEntry(gone), gone);
      }
      assertEquals("dtac-maven-plugin 1.2.3", jar.getManifest().getMainAttributes().getValue("Created-By"));
    }
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(plugin)));
    assertEquals(List.of("WARN dtac: exclude 'com.example:typo' matches no runtime dependency",
        "INFO dtac: wrote target/x.plugin (0.0 MiB), sha256 " + sha256), log);
  }

  @Test
  void classesThatTwoInputsHoldDifferentlyAreAWarningAndTheProjectsCopyWins() throws Exception {
    dependency("com.example", "lib", Artifact.SCOPE_COMPILE, "com/example/Main.class");

    mojo.execute();

    assertEquals("WARN dtac: 1 class is in more than one input with different content; the plugin holds the first"
        + " on the classpath, as a class loader would (mvn -X lists them)", log.get(0));
    try (JarFile jar = new JarFile(dir.resolve("target/x.plugin").toFile())) {
      assertEquals("main", new String(jar.getInputStream(jar.getEntry("com/example/Main.class")).readAllBytes(),
          StandardCharsets.UTF_8));
    }
  }

  @Test
  void configurationErrorsFailTheBuildWithTheirMessage() throws Exception {
    set("mainClass", null);
    MojoFailureException missing = assertThrows(MojoFailureException.class, mojo::execute);
    assertTrue(missing.getMessage().startsWith("dtac: dtac-maven-plugin needs <mainClass>:"), missing.getMessage());

    set("mainClass", "com.example.Main");
    set("excludes", List.of("bouncycastle"));
    assertEquals("dtac: exclude 'bouncycastle' is not groupId:artifactId (with * wildcards), e.g. org.bouncycastle:*",
        assertThrows(MojoFailureException.class, mojo::execute).getMessage());
    assertFalse(Files.exists(dir.resolve("target/x.plugin")));
  }

  @Test
  void skipWritesNothing() throws Exception {
    set("skip", true);
    mojo.execute();
    assertEquals(List.of("INFO dtac: skipped (dtac.skip)"), log);
    assertFalse(Files.exists(dir.resolve("target/x.plugin")));
  }

  private void dependency(String group, String artifact, String scope, String entry) throws IOException {
    File jar = dir.resolve(artifact + "-1.0.jar").toFile();
    try (OutputStream file = Files.newOutputStream(jar.toPath()); ZipOutputStream out = new ZipOutputStream(file)) {
      out.putNextEntry(new ZipEntry(entry));
      out.write(artifact.getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
    }
    DefaultArtifactHandler jarType = new DefaultArtifactHandler("jar");
    jarType.setAddedToClasspath(true);
    DefaultArtifact a = new DefaultArtifact(group, artifact, "1.0", scope, "jar", null, jarType);
    a.setFile(jar);
    artifacts.add(a);
  }

  private void set(String field, Object value) throws Exception {
    Field f = PluginMojo.class.getDeclaredField(field);
    f.setAccessible(true);
    f.set(mojo, value);
  }
}
