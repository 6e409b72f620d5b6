package io.dtac.maven.internal;

import io.dtac.core.Protocol;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The POSIX sh header of a plugin file. It runs {@code java -jar "$0"}: the JVM opens the file
 * itself as a jar, which works because a jar's central directory is found from the end of the
 * file and the launcher skips what precedes the first entry (as executable Spring Boot jars do).
 *
 * <p>{@value Protocol#ENV_PLUGIN_JAVA_OPTS}, when set and not empty, replaces the default JVM options.
 */
public final class Launcher {
  /**
   * The default JVM options: the fastest start and the smallest footprint for a process that
   * answers a few calls: C1 only, Serial GC, small thread stacks, the JDK's class-data archive, and
   * a small initial heap (the default, 1/64 of the machine's memory, lets start-up fill a large
   * young generation before the first collection: -15 MiB resident for an idle example plugin,
   * measured; the heap still grows on demand up to the JVM's default maximum).
   */
  public static final String DEFAULT_JVM_OPTIONS =
      "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -Xms8m -Xshare:auto";

  /**
   * Always passed first, whatever the options: the JVM's own warnings (unified logging writes them
   * to stdout by default) go to stderr, so none can come before the plugin's handshake line on
   * stdout and fail the handshake (a class-data archive that does not match, for one).
   */
  public static final String FIXED_JVM_OPTIONS = "-Xlog:disable -Xlog:all=warning:stderr";

  /**
   * What an option may hold: it lands unquoted in {@code ${VAR:-...}}, where a space would split it
   * and a quote, {@code $}, backquote, glob or backslash would be read by the shell.
   */
  private static final Pattern SAFE_OPTION = Pattern.compile("[A-Za-z0-9_./:=+,@%-]+");

  private Launcher() {}

  /**
   * Splits and checks space-separated JVM options.
   *
   * @throws PackagingException for an option the header cannot carry literally
   */
  public static List<String> options(String jvmOptions) throws PackagingException {
    if (jvmOptions == null || jvmOptions.isBlank()) {
      return List.of();
    }
    List<String> options = Arrays.asList(jvmOptions.trim().split("\\s+"));
    for (String option : options) {
      if (!SAFE_OPTION.matcher(option).matches()) {
        throw new PackagingException("jvmOptions: '" + option + "' has a character the launcher cannot carry"
            + " literally (allowed: letters, digits and _ . / : = + , @ % -); options are separated by spaces");
      }
      if (!option.startsWith("-")) {
        throw new PackagingException("jvmOptions: '" + option + "' is not a JVM option (they start with '-');"
            + " the launcher adds -jar and the plugin's arguments itself");
      }
    }
    return List.copyOf(options);
  }

  /** The header text for {@code fileName} (e.g. {@code hello.plugin}), ending in a newline. */
  public static String header(String fileName, List<String> jvmOptions) {
    String opts = String.join(" ", jvmOptions);
    String optionsWord = opts.isEmpty() ? "${" + Protocol.ENV_PLUGIN_JAVA_OPTS + "-}" : "${" + Protocol.ENV_PLUGIN_JAVA_OPTS + ":-" + opts + "}";
    return "#!/bin/sh\n"
        + "# " + fileName + ": a DTAC plugin made by dtac-maven-plugin: this launcher, then a jar with all of its\n"
        + "# code. JAVA_HOME picks the JVM (else java on PATH); " + Protocol.ENV_PLUGIN_JAVA_OPTS + " replaces the default options.\n"
        + "java=java\n"
        + "[ -n \"$JAVA_HOME\" ] && java=\"$JAVA_HOME/bin/java\"\n"
        + "command -v \"$java\" >/dev/null 2>&1 || { echo \"" + fileName
        + ": no JVM: $java not found; set JAVA_HOME or put java (17+) on PATH\" >&2; exit 127; }\n"
        + "exec \"$java\" " + FIXED_JVM_OPTIONS + " " + optionsWord + " -jar \"$0\" \"$@\"\n";
  }
}
