package io.dtac.maven.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Merges a classpath (directories and jars, in order) into one jar, as one class loader would see
 * it: the first input that holds a name wins, so the project's own classes come before its
 * dependencies. On top of that:
 *
 * <ul>
 *   <li>{@code META-INF/services/*} files are concatenated in classpath order, each provider once
 *       (grpc finds its transports, name resolvers and load balancers this way);
 *   <li>{@code META-INF/LICENSE*} and {@code META-INF/NOTICE*} files keep every distinct text, in
 *       classpath order, each under a line naming the input it came from: a library's licence
 *       stays with its code;
 *   <li>the inputs' manifests, signatures ({@code *.SF}, {@code *.DSA}, {@code *.RSA},
 *       {@code *.EC}, {@code SIG-*}), {@code INDEX.LIST} and {@code module-info.class} files are
 *       dropped: they describe one input, not the merged jar, and a signature would no longer
 *       verify;
 *   <li>the manifest names the main class, and says {@code Multi-Release: true} if an input did;
 *   <li>every entry has the same time and the output depends only on the inputs' content and
 *       order, so the same code gives the same bytes.
 * </ul>
 */
final class JarMerger {
  /** What was written: every entry name, and the conflicts resolved by classpath order. */
  record Result(Set<String> names, List<Conflict> conflicts) {}

  private static final String SERVICES = "META-INF/services/";
  private static final Pattern SIGNATURE =
      Pattern.compile("META-INF/([^/]+\\.(SF|DSA|RSA|EC)|SIG-[^/]*)", Pattern.CASE_INSENSITIVE);
  private static final Pattern MODULE_INFO = Pattern.compile("(META-INF/versions/[0-9]+/)?module-info\\.class");
  private static final Pattern LEGAL = Pattern.compile("META-INF/(LICENSE|NOTICE)([.-][^/]*)?", Pattern.CASE_INSENSITIVE);

  private final ZipOutputStream out;
  private final LocalDateTime time;
  private final Set<String> written = new LinkedHashSet<>();
  private final Map<String, Origin> origins = new HashMap<>();
  private final Map<String, LinkedHashSet<String>> services = new TreeMap<>();
  /** Licence and notice files by name, then their distinct texts by SHA-256, in classpath order. */
  private final Map<String, Map<String, Text>> legal = new TreeMap<>();
  private final List<Conflict> conflicts = new ArrayList<>();

  private record Origin(String label, byte[] digest) {}

  private record Text(String label, byte[] content) {}

  private JarMerger(OutputStream out, Instant time) {
    this.out = new ZipOutputStream(out, StandardCharsets.UTF_8);
    this.time = OutputTimestamp.entryTime(time);
  }

  /**
   * Writes the merged jar to {@code out} (which is then finished, not closed).
   *
   * @param mainClass the binary name for {@code Main-Class}
   * @param createdBy the manifest's {@code Created-By}
   */
  static Result merge(List<Input> inputs, String mainClass, String createdBy, Instant time, OutputStream out)
      throws IOException {
    JarMerger merger = new JarMerger(out, time);
    merger.writeManifest(mainClass, createdBy, anyMultiRelease(inputs));
    for (Input input : inputs) {
      if (Files.isDirectory(input.path())) {
        merger.addDirectory(input);
      } else {
        merger.addJar(input);
      }
    }
    merger.writeServices();
    merger.writeLegal();
    merger.out.finish();
    return new Result(Set.copyOf(merger.written), List.copyOf(merger.conflicts));
  }

  /** Whether {@code name} from an input is left out of the merged jar. */
  static boolean dropped(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    return upper.equals(JarFile.MANIFEST_NAME) || upper.equals("META-INF/INDEX.LIST")
        || SIGNATURE.matcher(name).matches() || MODULE_INFO.matcher(name).matches();
  }

  private static boolean anyMultiRelease(List<Input> inputs) throws IOException {
    for (Input input : inputs) {
      Manifest m = null;
      if (Files.isDirectory(input.path())) {
        Path file = input.path().resolve(JarFile.MANIFEST_NAME);
        if (Files.isRegularFile(file)) {
          try (InputStream in = Files.newInputStream(file)) {
            m = new Manifest(in);
          }
        }
      } else {
        try (JarFile jar = new JarFile(input.path().toFile(), false)) {
          m = jar.getManifest();
        }
      }
      if (m != null && "true".equalsIgnoreCase(m.getMainAttributes().getValue(Attributes.Name.MULTI_RELEASE))) {
        return true;
      }
    }
    return false;
  }

  private void writeManifest(String mainClass, String createdBy, boolean multiRelease) throws IOException {
    Manifest manifest = new Manifest();
    Attributes main = manifest.getMainAttributes();
    main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
    main.put(new Attributes.Name("Created-By"), createdBy);
    main.put(Attributes.Name.MAIN_CLASS, mainClass);
    if (multiRelease) {
      main.put(Attributes.Name.MULTI_RELEASE, "true");
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    manifest.write(bytes);
    write(JarFile.MANIFEST_NAME, bytes.toByteArray());
  }

  private void addDirectory(Input input) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(input.path())) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    // A directory's listing order is the file system's: sort by entry name for the same bytes everywhere.
    Map<String, Path> byName = new TreeMap<>();
    for (Path file : files) {
      byName.put(input.path().relativize(file).toString().replace(java.io.File.separatorChar, '/'), file);
    }
    for (Map.Entry<String, Path> e : byName.entrySet()) {
      add(input, e.getKey(), Files.readAllBytes(e.getValue()));
    }
  }

  private void addJar(Input input) throws IOException {
    try (ZipFile zip = new ZipFile(input.path().toFile(), StandardCharsets.UTF_8)) {
      for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
        ZipEntry entry = entries.nextElement();
        if (!entry.isDirectory()) {
          try (InputStream in = zip.getInputStream(entry)) {
            add(input, entry.getName(), in.readAllBytes());
          }
        }
      }
    } catch (java.util.zip.ZipException e) {
      throw new IOException(input.label() + " (" + input.path() + ") is not a readable jar: " + e.getMessage(), e);
    }
  }

  private void add(Input input, String name, byte[] content) throws IOException {
    if (dropped(name)) {
      return;
    }
    if (name.startsWith(SERVICES) && name.length() > SERVICES.length() && name.indexOf('/', SERVICES.length()) < 0) {
      LinkedHashSet<String> providers = services.computeIfAbsent(name, n -> new LinkedHashSet<>());
      for (String line : new String(content, StandardCharsets.UTF_8).split("\\R")) {
        int hash = line.indexOf('#');
        String provider = (hash >= 0 ? line.substring(0, hash) : line).trim();
        if (!provider.isEmpty()) {
          providers.add(provider);
        }
      }
      return;
    }
    byte[] digest = sha256(content);
    if (LEGAL.matcher(name).matches()) {
      legal.computeIfAbsent(name, n -> new LinkedHashMap<>())
          .putIfAbsent(HexFormat.of().formatHex(digest), new Text(input.label(), content));
      return;
    }
    Origin first = origins.get(name);
    if (first != null) {
      if (!Arrays.equals(first.digest(), digest)) {
        conflicts.add(new Conflict(name, first.label(), input.label()));
      }
      return;
    }
    origins.put(name, new Origin(input.label(), digest));
    write(name, content);
  }

  private void writeServices() throws IOException {
    for (Map.Entry<String, LinkedHashSet<String>> e : services.entrySet()) {
      if (e.getValue().isEmpty()) {
        continue;
      }
      write(e.getKey(), (String.join("\n", e.getValue()) + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  private void writeLegal() throws IOException {
    for (Map.Entry<String, Map<String, Text>> e : legal.entrySet()) {
      List<Text> texts = List.copyOf(e.getValue().values());
      if (texts.size() == 1) {
        write(e.getKey(), texts.get(0).content());
        continue;
      }
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      for (Text text : texts) {
        all.write(((all.size() == 0 ? "" : "\n") + "----- " + e.getKey().substring("META-INF/".length())
            + " of " + text.label() + " -----\n\n").getBytes(StandardCharsets.UTF_8));
        all.write(text.content());
      }
      write(e.getKey(), all.toByteArray());
    }
  }

  private void write(String name, byte[] content) throws IOException {
    for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
      String dir = name.substring(0, slash + 1);
      if (written.add(dir)) {
        ZipEntry d = new ZipEntry(dir);
        d.setTimeLocal(time);
        out.putNextEntry(d);
        out.closeEntry();
      }
    }
    if (!written.add(name)) {
      throw new IOException("duplicate entry " + name);
    }
    ZipEntry entry = new ZipEntry(name);
    entry.setTimeLocal(time);
    out.putNextEntry(entry);
    out.write(content);
    out.closeEntry();
  }

  private static byte[] sha256(byte[] content) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(content);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
