package io.dtac.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.jar.JarFile;

/**
 * Writes a copy of a plugin file (a launcher script, then a jar; or a launcher, a class-data archive
 * and a jar, whose copy then has no archive) whose plugin announces another
 * name: in its main class, which holds the name as a string constant, that constant is replaced by
 * another of the same length. Everything else stays: the launcher, the JVM options, every other
 * entry of the jar (rewritten through the JDK's zip file system, which copies the entries it does
 * not touch without recompressing them).
 */
final class RenamedPluginFile {
  private static final byte CONSTANT_UTF8 = 1;

  private RenamedPluginFile() {}

  /**
   * Writes {@code target}: {@code source} with the plugin name {@code name} replaced by {@code
   * newName} (as long as {@code name}).
   *
   * @throws IOException if not exactly one class of the file holds {@code name} as a constant
   */
  static void write(Path source, String name, String newName, Path target) throws IOException {
    if (name.length() != newName.length()) {
      throw new IllegalArgumentException("the new name must be as long as the old: " + name + ", " + newName);
    }
    String entry = classWith(source, utf8Constant(name));
    byte[] file = Files.readAllBytes(source);
    Launch launch = launch(source, file);
    int jarStart = launch.jarStart();
    Path jar = Files.createTempFile(target.getParent(), ".rename", ".jar");
    try {
      Files.write(jar, java.util.Arrays.copyOfRange(file, jarStart, file.length));
      try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of())) {
        Path c = zip.getPath(entry);
        byte[] bytes = Files.readAllBytes(c);
        int at = indexOf(bytes, utf8Constant(name));
        System.arraycopy(utf8Constant(newName), 0, bytes, at, 3 + name.length());
        Files.write(c, bytes);
      }
      try (OutputStream out = Files.newOutputStream(target)) {
        out.write(launch.header());
        Files.copy(jar, out);
      }
    } finally {
      Files.deleteIfExists(jar);
    }
  }

  /**
   * The class entry of the plugin's main class (the jar's {@code Main-Class}: the plugin class
   * whose {@code main} serves it, which gives its name to its base class), if its constant pool
   * holds {@code constant}.
   */
  private static String classWith(Path pluginFile, byte[] constant) throws IOException {
    // java.util.zip reads a jar behind a launcher script, as java -jar does.
    try (JarFile jar = new JarFile(pluginFile.toFile())) {
      String main = jar.getManifest() == null ? null : jar.getManifest().getMainAttributes().getValue("Main-Class");
      if (main == null) {
        throw new IOException(pluginFile + " has no Main-Class in its jar's manifest");
      }
      String entry = main.replace('.', '/') + ".class";
      ZipEntry e = jar.getEntry(entry);
      if (e == null) {
        throw new IOException(pluginFile + ": no " + entry + " (its Main-Class)");
      }
      try (InputStream in = jar.getInputStream(e)) {
        if (indexOf(in.readAllBytes(), constant) < 0) {
          throw new IOException(pluginFile + ": its main class " + main + " does not hold the plugin's name as a"
              + " constant; has the plugin changed its name?");
        }
      }
      return "/" + entry;
    }
  }

  /** Where the jar starts in a plugin file, and the launcher to write before the renamed jar. */
  private record Launch(int jarStart, byte[] header) {}

  private static final Pattern JAR_PART = Pattern.compile("dtac_copy (\\d+) (\\d+) plugin\\.jar");
  private static final String JAR_EXEC_END = "-jar \"$0\" \"$@\"\n";

  /**
   * The jar's place and the launcher of the copy. A file with a class-data archive (dtac-maven-plugin's
   * {@code [launcher][archive][jar]}) names the jar's offset in its launcher; its copy gets the
   * launcher's plain {@code java -jar "$0"} part only, without the archive: an archive serves only
   * the jar it was made with (its size is checked), which the renamed jar no longer is. A file
   * without an archive is {@code [launcher][jar]} and keeps its launcher.
   */
  private static Launch launch(Path source, byte[] file) throws IOException {
    String head = new String(file, 0, Math.min(file.length, 64 * 1024), StandardCharsets.ISO_8859_1);
    int end = head.indexOf(JAR_EXEC_END);
    if (end < 0) {
      throw new IOException(source + " is not a plugin file (no java -jar line in its launcher)");
    }
    end += JAR_EXEC_END.length();
    Matcher m = JAR_PART.matcher(head.substring(0, end));
    if (!m.find()) {
      return new Launch(end, java.util.Arrays.copyOf(file, end));
    }
    int jarStart = Integer.parseInt(m.group(1)) - 1;
    String text = head.substring(0, end);
    int cut = text.indexOf("# The archive and the jar run from");
    int jarExec = text.lastIndexOf("\nexec \"$java\"") + 1;
    if (cut < 0 || jarExec <= 0) {
      throw new IOException(source + ": its launcher is not one this benchmark knows how to copy");
    }
    return new Launch(jarStart, (text.substring(0, cut) + text.substring(jarExec)).getBytes(StandardCharsets.ISO_8859_1));
  }

  /** A class file's CONSTANT_Utf8_info of {@code s} (ASCII here): tag, u2 length, bytes. */
  private static byte[] utf8Constant(String s) {
    byte[] text = s.getBytes(StandardCharsets.UTF_8);
    byte[] c = new byte[3 + text.length];
    c[0] = CONSTANT_UTF8;
    c[1] = (byte) (text.length >> 8);
    c[2] = (byte) text.length;
    System.arraycopy(text, 0, c, 3, text.length);
    return c;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
