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
   * answers a few calls. C1 only, with one compiler thread and a 16 MiB code cache; Serial GC;
   * small thread stacks; a small initial heap (the default, 1/64 of the machine's memory, lets
   * start-up fill a large young generation before the first collection) and a 256 MiB maximum
   * (the default is a quarter of the machine's memory; a plugin that needs more sets {@code
   * jvmOptions} or {@code DTAC_PLUGIN_JAVA_OPTS}); no {@code hsperfdata} file ({@code jps} does not
   * list the plugin, {@code jcmd PID} still works); the class-data archive; and one arena each for
   * the direct and heap buffers of grpc's shaded Netty, instead of two per core, each holding 4
   * MiB chunks once used. Measured on the example plugins, idle after 20 calls: 84 -> 77 MiB
   * resident.
   */
  public static final String DEFAULT_JVM_OPTIONS =
      "-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ReservedCodeCacheSize=16m -XX:+UseSerialGC -Xss512k"
          + " -Xms8m -Xmx256m -XX:-UsePerfData -Xshare:auto"
          + " -Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=1"
          + " -Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=1";

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
    return start(fileName, "then a jar with all of its\n# code") + jarExec(jvmOptions);
  }

  /**
   * The header of a plugin file that holds a class-data archive: the header, the archive's bytes,
   * then the jar. At each start the launcher makes sure that a directory of the plugin's user,
   * {@code ${XDG_CACHE_HOME:-$HOME/.cache}/dtac-plugins/NAME-ID} (0700, not a symbolic link,
   * owned by that user, as is its parent), holds exactly the archive and the jar of this file:
   * it compares them with the bytes in the file ({@code cmp -n LENGTH FILE COPY SKIP 0}) and
   * copies them again where that fails, for whatever reason, so an archive or jar put there by
   * anyone else is replaced before the JVM reads it. The JVM
   * then reads the jar as {@code /dev/fd/3}, the path and modification time the archive was made
   * with. Where the directory cannot be made or used, or {@code DTAC_PLUGIN_CDS=off}, it runs
   * {@code java -jar} on the file as without an archive. It removes the directories of other
   * builds of the same plugin name unused for 7 days.
   *
   * @param fileName the plugin file's name
   * @param jvmOptions the default JVM options
   * @param archive where the archive and the jar are in the file, and the cache directory's name
   */
  public static String header(String fileName, List<String> jvmOptions, EmbeddedArchive archive) {
    String name = fileName.substring(0, fileName.length() - ".plugin".length());
    return start(fileName, "then a class-data archive and a\n# jar with all of its code")
        + "# The archive and the jar run from a copy in a private directory of the plugin's user, checked\n"
        + "# against the bytes of this file at every start; " + ENV_CDS + "=off runs this file without them.\n"
        + "dtac_base=\"${XDG_CACHE_HOME:-$HOME/.cache}/dtac-plugins\"\n"
        + "dtac_dir=\"$dtac_base/" + name + "-" + archive.id() + "\"\n"
        + "dtac_part() { tail -c +\"$1\" \"$0\" | head -c \"$2\"; }\n"
        + "dtac_copy() {\n"
        + "  if ! cmp -s -n \"$2\" \"$0\" \"$dtac_dir/$3\" \"$(($1 - 1))\" 0 || [ \"$(wc -c <\"$dtac_dir/$3\")\" -ne \"$2\" ]; then\n"
        + "    dtac_part \"$1\" \"$2\" >\"$dtac_dir/$3.$$\" && [ \"$(wc -c <\"$dtac_dir/$3.$$\")\" -eq \"$2\" ] \\\n"
        + "      && TZ=UTC0 touch -t " + ClassDataArchive.JAR_MTIME_TOUCH + " \"$dtac_dir/$3.$$\" && mv -f \"$dtac_dir/$3.$$\" \"$dtac_dir/$3\" \\\n"
        + "      || { rm -f \"$dtac_dir/$3.$$\"; return 1; }\n"
        + "  fi\n"
        + "  TZ=UTC0 touch -t " + ClassDataArchive.JAR_MTIME_TOUCH + " \"$dtac_dir/$3\"\n"
        + "}\n"
        + "dtac_cache() {\n"
        + "  [ \"${" + ENV_CDS + ":-on}\" != off ] && [ -n \"${XDG_CACHE_HOME:-$HOME}\" ] || return 1\n"
        + "  for d in \"$dtac_base\" \"$dtac_dir\"; do\n"
        + "    (umask 077 && mkdir -p \"$d\") && [ -d \"$d\" ] && [ ! -L \"$d\" ] && [ -O \"$d\" ] && chmod 700 \"$d\" || return 1\n"
        + "  done\n"
        + "  dtac_copy " + archive.jarOffset() + " " + archive.jarLength() + " plugin.jar"
        + " && dtac_copy " + archive.archiveOffset() + " " + archive.archiveLength() + " plugin.jsa && touch \"$dtac_dir\" || return 1\n"
        + "  for d in \"$dtac_base\"/" + name + "-*; do\n"
        + "    [ \"$d\" != \"$dtac_dir\" ] && [ -n \"$(find \"$d\" -prune -mtime +6)\" ] && rm -rf \"$d\"\n"
        + "  done\n"
        + "  return 0\n"
        + "}\n"
        + "if dtac_cache 2>/dev/null && [ -r \"$dtac_dir/plugin.jar\" ]; then\n"
        + "  exec 3<\"$dtac_dir/plugin.jar\"\n"
        + "  exec \"$java\" " + FIXED_JVM_OPTIONS + " -XX:SharedArchiveFile=\"$dtac_dir/plugin.jsa\" " + optionsWord(jvmOptions)
        + " -cp " + ClassDataArchive.JAR_PATH + " " + archive.mainClass() + " \"$@\"\n"
        + "fi\n"
        + jarExec(jvmOptions);
  }

  /**
   * Where a plugin file's archive and jar are (offsets from 1, as {@code tail -c +N} counts), the
   * main class, and the cache directory's suffix (from the SHA-256 of the archive and the jar).
   *
   * @param id 16 hex digits naming this build's cache directory
   * @param mainClass the class the launcher runs from the extracted jar
   * @param archiveOffset the archive's first byte, counted from 1
   * @param archiveLength the archive's length
   * @param jarOffset the jar's first byte, counted from 1
   * @param jarLength the jar's length
   */
  public record EmbeddedArchive(String id, String mainClass, long archiveOffset, long archiveLength, long jarOffset,
      long jarLength) {}

  /** The variable that turns the class-data archive off: {@code DTAC_PLUGIN_CDS=off}. */
  public static final String ENV_CDS = "DTAC_PLUGIN_CDS";

  private static String start(String fileName, String contents) {
    return "#!/bin/sh\n"
        + "# " + fileName + ": a DTAC plugin made by dtac-maven-plugin: this launcher, " + contents
        + ". JAVA_HOME picks the JVM (else java on PATH); " + Protocol.ENV_PLUGIN_JAVA_OPTS + " replaces the default options.\n"
        + "java=java\n"
        + "[ -n \"$JAVA_HOME\" ] && java=\"$JAVA_HOME/bin/java\"\n"
        + "command -v \"$java\" >/dev/null 2>&1 || { echo \"" + fileName
        + ": no JVM: $java not found; set JAVA_HOME or put java (17+) on PATH\" >&2; exit 127; }\n";
  }

  private static String optionsWord(List<String> jvmOptions) {
    String opts = String.join(" ", jvmOptions);
    return opts.isEmpty() ? "${" + Protocol.ENV_PLUGIN_JAVA_OPTS + "-}" : "${" + Protocol.ENV_PLUGIN_JAVA_OPTS + ":-" + opts + "}";
  }

  private static String jarExec(List<String> jvmOptions) {
    return "exec \"$java\" " + FIXED_JVM_OPTIONS + " " + optionsWord(jvmOptions) + " -jar \"$0\" \"$@\"\n";
  }
}
