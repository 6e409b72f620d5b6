package io.dtac.broker.server.internal;

import io.dtac.broker.server.PluginConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * Finds plugin files in a directory and checks each before it may run: executable, not writable
 * by anyone but its owner, owned by root or the agent's user, and, when configured, of the
 * expected SHA-256.
 */
public final class PluginDiscovery {
  public static final String SUFFIX = ".plugin";

  private PluginDiscovery() {}

  /** The {@code *.plugin} regular files in {@code dir}, sorted by name. */
  public static List<Path> find(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException("plugin directory " + dir.toAbsolutePath() + " does not exist or is not a directory");
    }
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path p : stream) {
        if (Files.isRegularFile(p)) {
          files.add(p);
        }
      }
    }
    files.sort(null);
    return files;
  }

  /** "hello" for ".../hello.plugin". */
  public static String stem(Path file) {
    String name = file.getFileName().toString();
    return name.endsWith(SUFFIX) ? name.substring(0, name.length() - SUFFIX.length()) : name;
  }

  /**
   * Checks that {@code file} may be launched.
   *
   * @throws SecurityException saying why not and how to fix it
   */
  public static void check(Path file, PluginConfig config) throws IOException {
    String name = file.getFileName().toString();
    if (!Files.isExecutable(file)) {
      throw new SecurityException(name + " is not executable (chmod +x " + file + ")");
    }
    try {
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (perms.contains(PosixFilePermission.GROUP_WRITE)
          || perms.contains(PosixFilePermission.OTHERS_WRITE)) {
        throw new SecurityException(
            "refusing to launch "
                + name
                + ": it is writable by group or others (mode "
                + PosixFilePermissions.toString(perms)
                + "); run chmod go-w "
                + file);
      }
      String owner = Files.getOwner(file).getName();
      String self = System.getProperty("user.name");
      if (!owner.equals("root") && !owner.equals(self)) {
        throw new SecurityException(
            "refusing to launch " + name + ": it is owned by " + owner
                + ", not by root or the agent's user " + self);
      }
    } catch (UnsupportedOperationException notPosix) {
      // Windows: no POSIX permissions to check; the ACL of the plugin directory applies.
    }
    if (config.expectedSha256().isPresent()) {
      String actual = sha256(file);
      if (!actual.equals(config.expectedSha256().get())) {
        throw new SecurityException(
            "refusing to launch "
                + name
                + ": its SHA-256 is "
                + actual
                + " but the configuration expects "
                + config.expectedSha256().get()
                + " (the file changed since it was configured)");
      }
    }
  }

  /** The SHA-256 of a file as lower-case hex. */
  public static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        digest.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
