package io.dtac.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which JDK a process runs, read from outside it: {@code /proc/PID/exe} (the java binary the
 * process really executes, whatever launched it) and that JDK's {@code release} file.
 */
final class JvmInfo {
  private JvmInfo() {}

  /** {@code {"java_home", "java_version"}} of process {@code pid}; "unknown" where it cannot be read. */
  static Map<String, String> of(long pid) {
    Map<String, String> info = new LinkedHashMap<>();
    try {
      Path exe = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "exe"));
      Path home = exe.getParent().getParent();
      info.put("java_home", home.toString());
      info.put("java_version", version(home));
    } catch (IOException | RuntimeException e) {
      info.put("java_home", "unknown");
      info.put("java_version", "unknown");
    }
    return info;
  }

  /** JAVA_RUNTIME_VERSION (else JAVA_VERSION) of the JDK at {@code home}. */
  static String version(Path home) {
    try {
      String runtime = null;
      String version = "unknown";
      for (String line : Files.readAllLines(home.resolve("release"))) {
        if (line.startsWith("JAVA_RUNTIME_VERSION=")) {
          runtime = line.substring(line.indexOf('=') + 1).replace("\"", "");
        } else if (line.startsWith("JAVA_VERSION=")) {
          version = line.substring(line.indexOf('=') + 1).replace("\"", "");
        }
      }
      return runtime != null ? runtime : version;
    } catch (IOException e) {
      return "unknown";
    }
  }
}
