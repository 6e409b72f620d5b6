package io.dtac.maven;

import io.dtac.maven.internal.ClassDataArchive;
import io.dtac.maven.internal.Conflict;
import io.dtac.maven.internal.Input;
import io.dtac.maven.internal.Launcher;
import io.dtac.maven.internal.OutputTimestamp;
import io.dtac.maven.internal.PackagingException;
import io.dtac.maven.internal.PluginFile;
import io.dtac.maven.internal.PluginSpec;
import io.dtac.maven.internal.PluginWriter;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.maven.artifact.Artifact;
import org.apache.maven.plugin.AbstractMojo;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.descriptor.PluginDescriptor;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;
import org.apache.maven.plugins.annotations.ResolutionScope;
import org.apache.maven.project.MavenProject;

/**
 * Packages the project as a DTAC plugin: one executable file, {@code NAME.plugin}, that the agent
 * launches. It is a POSIX sh launcher that runs {@code java -jar} on itself, followed by a jar
 * holding the project's classes and all of its runtime dependencies, so its SHA-256 covers all of
 * its code and a copy works wherever it is put. Prints the SHA-256 (for {@code expectedSha256})
 * and writes it to {@code NAME.plugin.sha256}.
 *
 * <p><b>Class-data archive</b> ({@code cds}, on by default). The goal starts the plugin once, as
 * the agent would ({@code DTAC_PLUGINS=true}, a private Unix socket directory), with the JDK of
 * {@code cdsJavaHome}; when it has printed its handshake line it is stopped with SIGTERM and the
 * JVM writes an archive of the classes it loaded: the AOT cache on JDK 25+ ({@code
 * -XX:AOTMode=record}, then {@code create}), a dynamic CDS archive before ({@code
 * -XX:ArchiveClassesAtExit}). The archive goes <em>inside</em> the plugin file, between the
 * launcher and the jar, so the file's SHA-256, which the agent pins, covers it as it covers the
 * code. The JVM accepts an archive only for the jar it was made with, by path (JDK 17), size and
 * modification time, and only on the same JDK build; a file copied into a plugin directory has
 * neither the path nor the time. So at each start the launcher keeps the archive and the jar in a
 * private directory of the plugin's user ({@code ${XDG_CACHE_HOME:-$HOME/.cache}/dtac-plugins},
 * 0700, owned by that user, not a symbolic link), compares both with the bytes in the plugin file
 * and copies them again where they differ (a tampered archive there is replaced before the JVM
 * reads it), gives the jar a fixed modification time and hands it to the JVM as {@code
 * /dev/fd/3}, the path it was trained with. A JVM that cannot use the archive (another JDK build,
 * other options) warns on stderr and runs without it ({@code -Xshare:auto}); where the directory
 * cannot be made, or with {@code DTAC_PLUGIN_CDS=off}, the launcher runs {@code java -jar} on the
 * file as it does without an archive. If the training start fails the goal warns and writes the
 * file without an archive.
 */
@Mojo(
    name = "plugin",
    defaultPhase = LifecyclePhase.PACKAGE,
    requiresDependencyResolution = ResolutionScope.RUNTIME,
    threadSafe = true)
public final class PluginMojo extends AbstractMojo {
  private static final Set<String> RUNTIME_SCOPES = Set.of(Artifact.SCOPE_COMPILE, Artifact.SCOPE_RUNTIME);

  @Parameter(defaultValue = "${project}", readonly = true, required = true)
  private MavenProject project;

  @Parameter(defaultValue = "${plugin}", readonly = true, required = true)
  private PluginDescriptor plugin;

  /**
   * Required. The binary name of the class whose {@code main} serves the plugin, e.g. {@code
   * com.example.HelloPlugin} (its {@code main} calls {@code PluginHost.serve}).
   */
  @Parameter(property = "dtac.mainClass")
  private String mainClass;

  /** The plugin file's name without {@code .plugin}; the agent uses it as the default root path. */
  @Parameter(property = "dtac.pluginName", defaultValue = "${project.artifactId}")
  private String pluginName;

  /**
   * The JVM options the launcher passes by default, separated by spaces. {@code
   * DTAC_PLUGIN_JAVA_OPTS}, when set and not empty, replaces them at run time.
   */
  @Parameter(property = "dtac.jvmOptions", defaultValue = Launcher.DEFAULT_JVM_OPTIONS)
  private String jvmOptions;

  /** Where {@code NAME.plugin} and {@code NAME.plugin.sha256} are written. */
  @Parameter(property = "dtac.outputDirectory", defaultValue = "${project.build.directory}")
  private File outputDirectory;

  /**
   * Runtime dependencies to leave out, as {@code groupId:artifactId} with {@code *} wildcards, e.g.
   * {@code org.bouncycastle:*}. Each pattern drops the artifacts it matches, not what they depend on.
   */
  @Parameter
  private List<String> excludes = new ArrayList<>();

  /** The time of every entry in the jar (reproducible builds); unset, a fixed 1980-02-01. */
  @Parameter(defaultValue = "${project.build.outputTimestamp}")
  private String outputTimestamp;

  /**
   * Makes a class-data archive by a training start of the plugin and puts it in the file (see the
   * class description): faster starts, a larger file.
   */
  @Parameter(property = "dtac.cds", defaultValue = "true")
  private boolean cds;

  /**
   * The JDK that trains the archive; the archive serves only that JDK build, so give the one the
   * plugin runs on. By default the JDK that runs Maven.
   */
  @Parameter(property = "dtac.cdsJavaHome", defaultValue = "${java.home}")
  private File cdsJavaHome;

  /** How long the training start may take to print its handshake line, in seconds. */
  @Parameter(property = "dtac.cdsTimeoutSeconds", defaultValue = "60")
  private int cdsTimeoutSeconds;

  /** Skips packaging. */
  @Parameter(property = "dtac.skip", defaultValue = "false")
  private boolean skip;

  @Override
  public void execute() throws MojoExecutionException, MojoFailureException {
    if (skip) {
      getLog().info("dtac: skipped (dtac.skip)");
      return;
    }
    try {
      PluginSpec spec = PluginSpec.of(pluginName, mainClass, jvmOptions, inputs(), outputDirectory.toPath(),
          OutputTimestamp.parse(outputTimestamp), "dtac-maven-plugin " + plugin.getVersion());
      ClassDataArchive.Training training =
          cds ? new ClassDataArchive.Training(cdsJavaHome.toPath(), Duration.ofSeconds(cdsTimeoutSeconds)) : null;
      PluginFile file = PluginWriter.write(spec, training, message -> getLog().warn("dtac: " + message));
      report(file);
    } catch (PackagingException e) {
      throw new MojoFailureException("dtac: " + e.getMessage());
    } catch (IOException e) {
      throw new MojoExecutionException("dtac: cannot write " + pluginName + ".plugin: " + e.getMessage(), e);
    }
  }

  /** target/classes, then the runtime dependencies in Maven's classpath order, less the excluded. */
  private List<Input> inputs() throws PackagingException {
    Path base = project.getBasedir().toPath();
    Path classes = Path.of(project.getBuild().getOutputDirectory());
    List<Input> inputs = new ArrayList<>();
    if (classes.toFile().isDirectory()) {
      inputs.add(new Input(label(base, classes), classes));
    }
    List<Pattern> patterns = new ArrayList<>();
    for (String exclude : excludes) {
      patterns.add(glob(exclude));
    }
    Set<String> unused = new LinkedHashSet<>(excludes);
    for (Artifact a : project.getArtifacts()) {
      if (!RUNTIME_SCOPES.contains(a.getScope()) || !a.getArtifactHandler().isAddedToClasspath()) {
        continue;
      }
      String ga = a.getGroupId() + ":" + a.getArtifactId();
      int matched = firstMatch(patterns, ga);
      if (matched >= 0) {
        unused.remove(excludes.get(matched));
        getLog().debug("dtac: excluded " + a);
        continue;
      }
      if (a.getFile() == null) {
        throw new PackagingException("dependency " + a + " has no file; was it resolved?");
      }
      inputs.add(new Input(a.getFile().isDirectory() ? ga : a.getFile().getName(), a.getFile().toPath()));
    }
    for (String pattern : unused) {
      getLog().warn("dtac: exclude '" + pattern + "' matches no runtime dependency");
    }
    return inputs;
  }

  private static int firstMatch(List<Pattern> patterns, String ga) {
    for (int i = 0; i < patterns.size(); i++) {
      if (patterns.get(i).matcher(ga).matches()) {
        return i;
      }
    }
    return -1;
  }

  private static Pattern glob(String exclude) throws PackagingException {
    if (exclude == null || !exclude.matches("[A-Za-z0-9_.*-]+:[A-Za-z0-9_.*-]+")) {
      throw new PackagingException("exclude '" + exclude + "' is not groupId:artifactId (with * wildcards),"
          + " e.g. org.bouncycastle:*");
    }
    return Pattern.compile(Pattern.quote(exclude).replace("*", "\\E.*\\Q"));
  }

  private void report(PluginFile file) {
    Path base = project.getBasedir().toPath();
    for (Conflict c : file.conflicts()) {
      getLog().debug("dtac: " + c.name() + " is in " + c.kept() + " and, different, in " + c.dropped() + "; kept " + c.kept());
    }
    long classes = file.conflicts().stream().filter(c -> c.name().endsWith(".class")).count();
    if (classes > 0) {
      getLog().warn("dtac: " + (classes == 1 ? "1 class is" : classes + " classes are") + " in more than one input"
          + " with different content; the plugin holds the first on the classpath, as a class loader would"
          + " (mvn -X lists them)");
    }
    getLog().info("dtac: wrote " + label(base, file.path()) + " (" + file.mebibytes() + " MiB), sha256 " + file.sha256());
  }

  private static String label(Path base, Path path) {
    Path p = path.toAbsolutePath();
    return p.startsWith(base.toAbsolutePath()) ? base.toAbsolutePath().relativize(p).toString() : p.toString();
  }

}
