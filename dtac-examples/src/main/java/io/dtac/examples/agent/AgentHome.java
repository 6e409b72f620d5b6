package io.dtac.examples.agent;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The example agent's state directory, {@code $DTAC_HOME} (default {@code ~/.dtac}):
 *
 * <pre>
 *   token.secret    the key that signs bearer tokens          owner-only (0600)
 *   tls/key.pem     the REST gateway's TLS private key         owner-only (0600)
 *   tls/cert.pem    its self-signed certificate (public)
 *   logs/agent.log  the agent's log, rolled over by size and at start (agent.log.1, ...)
 *   logs/audit.jsonl the audit trail, rolled over by size     (audit.jsonl.1, ...)
 *   .lock           serialises processes that create the files above
 * </pre>
 *
 * <p>Directories it creates are owner-only (0700). A secret file that others may read is refused
 * rather than used, like ssh does with its keys. Two agents with different homes share nothing.
 * Not thread-safe for concurrent writers of the same file in one JVM; separate processes that
 * share a home serialise their writes with {@link #locked}.
 */
final class AgentHome {
  static final String ENV = "DTAC_HOME";

  private static final Set<PosixFilePermission> OWNER_ONLY_FILE =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  private static final Set<PosixFilePermission> OWNER_ONLY_DIR =
      EnumSet.of(
          PosixFilePermission.OWNER_READ,
          PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_EXECUTE);

  private final Path dir;
  private final boolean posix;

  private AgentHome(Path dir) {
    this.dir = dir;
    this.posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /** The home named by {@code DTAC_HOME} in {@code env}, else {@code ~/.dtac}; not yet created. */
  static Path locate(Map<String, String> env) {
    String configured = env.get(ENV);
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured).toAbsolutePath().normalize();
    }
    return Path.of(System.getProperty("user.home"), ".dtac").toAbsolutePath();
  }

  /**
   * Opens the home at {@code dir}, creating it and its subdirectories owner-only if missing.
   *
   * @throws IOException naming the directory that cannot be created
   */
  static AgentHome open(Path dir) throws IOException {
    createOwnerOnlyDirectory(dir);
    AgentHome home = new AgentHome(dir);
    createOwnerOnlyDirectory(home.tlsDir());
    createOwnerOnlyDirectory(home.logDir());
    return home;
  }

  private static void createOwnerOnlyDirectory(Path d) throws IOException {
    if (Files.isDirectory(d)) {
      return;
    }
    try {
      if (d.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.createDirectories(d, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
      } else {
        Files.createDirectories(d);
      }
    } catch (FileAlreadyExistsException e) {
      throw new IOException(d + " exists and is not a directory; set " + ENV + " to a directory", e);
    } catch (IOException e) {
      throw new IOException("cannot create " + d + " (" + e + "); set " + ENV + " to a writable directory", e);
    }
  }

  Path dir() {
    return dir;
  }

  Path tokenSecret() {
    return dir.resolve("token.secret");
  }

  Path tlsDir() {
    return dir.resolve("tls");
  }

  Path certificate() {
    return tlsDir().resolve("cert.pem");
  }

  Path privateKey() {
    return tlsDir().resolve("key.pem");
  }

  Path logDir() {
    return dir.resolve("logs");
  }

  /** The audit trail of brokered calls, one JSON record per line (written by {@link AgentLogging}). */
  Path auditFile() {
    return logDir().resolve("audit.jsonl");
  }

  Path logFile() {
    return logDir().resolve("agent.log");
  }

  /**
   * Writes {@code content} to {@code file} with owner-only permissions, atomically: readers see
   * the old content or the new, never a part.
   */
  void writeOwnerOnly(Path file, byte[] content) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp",
        ownerOnlyFileAttributes());
    try {
      Files.write(tmp, content, StandardOpenOption.TRUNCATE_EXISTING);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Writes a public file (e.g. the certificate) atomically. */
  void writePublic(Path file, byte[] content) throws IOException {
    Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
    try {
      Files.write(tmp, content, StandardOpenOption.TRUNCATE_EXISTING);
      if (posix) {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Reads a secret file, refusing one that group or others may access.
   *
   * @throws IOException saying how to fix the permissions
   */
  byte[] readSecret(Path file) throws IOException {
    requireOwnerOnly(file);
    return Files.readAllBytes(file);
  }

  void requireOwnerOnly(Path file) throws IOException {
    if (!posix) {
      return;
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    if (!OWNER_ONLY_FILE.containsAll(perms)) {
      throw new IOException(
          file + " holds a secret but is accessible to others ("
              + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
    }
  }

  /**
   * Runs {@code action} holding an exclusive lock on the home, so that an agent starting and a
   * {@code dtac token} running at the same moment create the token secret once.
   */
  <T> T locked(IoSupplier<T> action) throws IOException {
    try (FileChannel ch = FileChannel.open(dir.resolve(".lock"),
            Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), ownerOnlyFileAttributes())) {
      FileLock lock = ch.lock();
      try {
        return action.get();
      } finally {
        lock.release();
      }
    }
  }

  private FileAttribute<?>[] ownerOnlyFileAttributes() {
    return posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE)}
        : new FileAttribute<?>[0];
  }

  /** An I/O action. */
  @FunctionalInterface
  interface IoSupplier<T> {
    T get() throws IOException;
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}
