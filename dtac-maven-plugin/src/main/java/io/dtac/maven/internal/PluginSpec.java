package io.dtac.maven.internal;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What to package, checked: a plugin file name, a main class, JVM options and a classpath.
 *
 * @param name the file name without {@code .plugin}
 * @param mainClass the binary name of the class whose {@code main} serves the plugin
 * @param jvmOptions the launcher's default JVM options, already checked by {@link Launcher#options}
 * @param inputs the classpath, the project's classes first
 * @param outputDirectory where {@code NAME.plugin} and {@code NAME.plugin.sha256} go
 * @param timestamp the time of every jar entry
 * @param createdBy the jar manifest's {@code Created-By}
 */
public record PluginSpec(
    String name, String mainClass, List<String> jvmOptions, List<Input> inputs, Path outputDirectory,
    Instant timestamp, String createdBy) {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern CLASS_NAME =
      Pattern.compile("\\p{javaJavaIdentifierStart}\\p{javaJavaIdentifierPart}*(\\.\\p{javaJavaIdentifierStart}\\p{javaJavaIdentifierPart}*)*");

  public PluginSpec {
    jvmOptions = List.copyOf(jvmOptions);
    inputs = List.copyOf(inputs);
  }

  /**
   * Checks the user's settings and makes a spec.
   *
   * @throws PackagingException for a missing or malformed main class, file name or JVM option
   */
  public static PluginSpec of(
      String name, String mainClass, String jvmOptions, List<Input> inputs, Path outputDirectory,
      Instant timestamp, String createdBy) throws PackagingException {
    if (mainClass == null || mainClass.isBlank()) {
      throw new PackagingException("dtac-maven-plugin needs <mainClass>: the class whose main method serves the"
          + " plugin (PluginHost.serve), e.g. <configuration><mainClass>com.example.HelloPlugin</mainClass></configuration>");
    }
    String main = mainClass.trim();
    if (!CLASS_NAME.matcher(main).matches() || main.endsWith(".java") || main.endsWith(".class")) {
      String hint = main.replaceAll("\\.(java|class)$", "").replace('/', '.').replace('\\', '.');
      throw new PackagingException("mainClass '" + main + "' is not a Java class name; write it as a binary name"
          + (CLASS_NAME.matcher(hint).matches() ? " such as " + hint : " such as com.example.HelloPlugin"));
    }
    if (name == null || !NAME.matcher(name).matches() || name.endsWith(".plugin")) {
      throw new PackagingException("pluginName '" + name + "' cannot name a plugin file: use 1 to 128 letters,"
          + " digits, '.', '_' or '-', starting with a letter or digit, without '.plugin' (the file is NAME.plugin)");
    }
    return new PluginSpec(name, main, Launcher.options(jvmOptions), inputs, outputDirectory, timestamp, createdBy);
  }

  /** {@code NAME.plugin}. */
  public String fileName() {
    return name + ".plugin";
  }
}
