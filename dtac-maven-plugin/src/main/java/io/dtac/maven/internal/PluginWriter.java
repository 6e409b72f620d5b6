package io.dtac.maven.internal;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Writes {@code NAME.plugin} (the launcher header, then the merged jar, with a class-data archive
 * between them if asked and the training start made one; mode 0755) and {@code
 * NAME.plugin.sha256} (in {@code sha256sum} format). The file appears whole or not at all: it is
 * written next to its place and moved there once complete, so an agent never sees half a plugin.
 */
public final class PluginWriter {
  private PluginWriter() {}

  /**
   * Packages {@code spec}, without a class-data archive.
   *
   * @throws PackagingException if the main class is in none of the inputs (nothing is left behind)
   */
  public static PluginFile write(PluginSpec spec) throws PackagingException, IOException {
    return write(spec, null, message -> { });
  }

  /**
   * Packages {@code spec}; with {@code training}, the file also holds a class-data archive made by
   * a training start of the plugin (see {@link ClassDataArchive}); if that start fails, {@code
   * warn} is told why and the file is written without one.
   *
   * @param training how to make the archive, or null for none
   * @param warn told why there is no archive
   * @throws PackagingException if the main class is in none of the inputs (nothing is left behind)
   */
  public static PluginFile write(PluginSpec spec, ClassDataArchive.Training training, Consumer<String> warn)
      throws PackagingException, IOException {
    Path dir = Files.createDirectories(spec.outputDirectory());
    Path target = dir.resolve(spec.fileName());
    Path partial = dir.resolve("." + spec.fileName() + ".partial");
    Path jar = dir.resolve("." + spec.name() + ".jar.partial");
    MessageDigest sha256 = sha256();
    JarMerger.Result result;
    try {
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(jar))) {
        result = JarMerger.merge(spec.inputs(), spec.mainClass(), spec.createdBy(), spec.timestamp(), out);
      }
      checkMainClass(spec, result.names());
      Optional<byte[]> archive = training == null ? Optional.empty()
          : ClassDataArchive.make(training, jar, spec.mainClass(), spec.jvmOptions(), warn);
      try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(partial)), sha256)) {
        if (archive.isEmpty()) {
          out.write(Launcher.header(spec.fileName(), spec.jvmOptions()).getBytes(StandardCharsets.UTF_8));
        } else {
          out.write(archiveHeader(spec, archive.get(), jar).getBytes(StandardCharsets.UTF_8));
          out.write(archive.get());
        }
        Files.copy(jar, out);
      }
      try {
        Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rwxr-xr-x"));
      } catch (UnsupportedOperationException e) {
        throw new IOException("cannot make " + partial + " executable: its file system has no POSIX permissions", e);
      }
      Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(partial);
      Files.deleteIfExists(jar);
    }
    String hex = HexFormat.of().formatHex(sha256.digest());
    Files.writeString(dir.resolve(spec.fileName() + ".sha256"), hex + "  " + spec.fileName() + "\n");
    return new PluginFile(target, Files.size(target), hex, result.conflicts());
  }

  /** The header for header + archive + jar: its length decides the offsets it holds, so iterate to a fixed point. */
  private static String archiveHeader(PluginSpec spec, byte[] archive, Path jar) throws IOException {
    MessageDigest id = sha256();
    id.update(archive);
    try (InputStream in = Files.newInputStream(jar)) {
      in.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), id));
    }
    String hex = HexFormat.of().formatHex(id.digest()).substring(0, 16);
    long jarLength = Files.size(jar);
    int headerLength = 0;
    while (true) {
      String header = Launcher.header(spec.fileName(), spec.jvmOptions(), new Launcher.EmbeddedArchive(hex,
          spec.mainClass(), headerLength + 1, archive.length, headerLength + archive.length + 1L, jarLength));
      int length = header.getBytes(StandardCharsets.UTF_8).length;
      if (length == headerLength) {
        return header;
      }
      headerLength = length;
    }
  }

  private static void checkMainClass(PluginSpec spec, Set<String> names) throws PackagingException {
    String entry = spec.mainClass().replace('.', '/') + ".class";
    if (names.contains(entry)) {
      return;
    }
    String simple = entry.substring(entry.lastIndexOf('/') + 1);
    List<String> alike = names.stream()
        .filter(n -> n.equals(simple) || n.endsWith("/" + simple))
        .filter(n -> !n.startsWith("META-INF/"))
        .sorted()
        .limit(3)
        .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.'))
        .collect(Collectors.toList());
    int n = spec.inputs().size();
    String where = n == 0 ? "an empty classpath"
        : spec.inputs().get(0).label() + (n > 1 ? " or any of the " + (n - 1) + " other inputs (runtime dependencies)" : "");
    throw new PackagingException("mainClass " + spec.mainClass() + " is not in the plugin: no " + entry + " in " + where
        + (alike.isEmpty() ? "; check the name, and that the class is compiled into this project"
            : "; did you mean " + String.join(" or ", alike) + "?"));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
