package io.dtac.maven.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Test inputs: small jars and class directories. */
final class Jars {
  private Jars() {}

  /** A jar holding {@code entries} (name to UTF-8 text), in order. */
  static Path jar(Path dir, String fileName, Map<String, String> entries) throws IOException {
    Path jar = dir.resolve(fileName);
    try (OutputStream file = Files.newOutputStream(jar); ZipOutputStream out = new ZipOutputStream(file)) {
      for (Map.Entry<String, String> e : entries.entrySet()) {
        out.putNextEntry(new ZipEntry(e.getKey()));
        out.write(e.getValue().getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
      }
    }
    return jar;
  }

  static Map<String, String> entries(String... nameThenText) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < nameThenText.length; i += 2) {
      m.put(nameThenText[i], nameThenText[i + 1]);
    }
    return m;
  }

  /** A directory of classes holding the compiled {@code type}, as target/classes would. */
  static Path classesOf(Path dir, Class<?> type) throws IOException {
    String entry = type.getName().replace('.', '/') + ".class";
    Path file = dir.resolve(entry);
    Files.createDirectories(file.getParent());
    try (InputStream in = type.getClassLoader().getResourceAsStream(entry)) {
      Files.write(file, in.readAllBytes());
    }
    return dir;
  }

  /** The jar part of a plugin file: what follows the launcher header. */
  static byte[] jarPart(Path pluginFile) throws IOException {
    byte[] all = Files.readAllBytes(pluginFile);
    for (int i = 0; i + 3 < all.length; i++) {
      if (all[i] == 'P' && all[i + 1] == 'K' && all[i + 2] == 3 && all[i + 3] == 4) {
        return java.util.Arrays.copyOfRange(all, i, all.length);
      }
    }
    throw new AssertionError("no jar in " + pluginFile);
  }
}
