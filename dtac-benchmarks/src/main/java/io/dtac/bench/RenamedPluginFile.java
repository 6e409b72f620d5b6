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
import java.util.zip.ZipEntry;
import java.util.jar.JarFile;

/**
 * Writes a copy of a plugin file (a launcher script, then a jar) whose plugin announces another
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
    int jarStart = indexOf(file, new byte[] {'P', 'K', 3, 4});
    if (jarStart < 0) {
      throw new IOException(source + " is not a plugin file (no jar after its launcher)");
    }
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
        out.write(file, 0, jarStart);
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
