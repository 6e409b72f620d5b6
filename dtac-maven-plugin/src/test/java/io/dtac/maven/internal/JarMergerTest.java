package io.dtac.maven.internal;

import static io.dtac.maven.internal.Jars.entries;
import static io.dtac.maven.internal.Jars.jar;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TimeZone;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JarMergerTest {
  private static final Instant TIME = Instant.parse("2026-11-24T00:00:00Z");

  @TempDir Path dir;

  @Test
  void firstInputOnTheClasspathWinsAndDifferingCopiesAreReported() throws IOException {
    Path classes = Files.createDirectories(dir.resolve("classes/a"));
    Files.writeString(classes.resolve("Util.class"), "project");
    Path lib = jar(dir, "lib-1.0.jar", entries("a/Util.class", "library", "b/Same.txt", "same"));
    Path other = jar(dir, "other-2.0.jar", entries("b/Same.txt", "same", "c/Only.class", "other"));

    Merged m = merge(List.of(new Input("target/classes", dir.resolve("classes")),
        new Input("lib-1.0.jar", lib), new Input("other-2.0.jar", other)));

    assertEquals("project", m.text("a/Util.class"));
    assertEquals("same", m.text("b/Same.txt"));
    assertEquals("other", m.text("c/Only.class"));
    assertEquals(List.of(new Conflict("a/Util.class", "target/classes", "lib-1.0.jar")), m.result.conflicts(),
        "identical copies are no conflict");
  }

  @Test
  void serviceFilesAreConcatenatedInClasspathOrderEachProviderOnce() throws IOException {
    String service = "META-INF/services/io.grpc.ManagedChannelProvider";
    Path a = jar(dir, "a.jar", entries(service, "# comment\nio.a.Provider\r\nio.shared.Provider # trailing\n"));
    Path b = jar(dir, "b.jar", entries(service, "io.shared.Provider\n\nio.b.Provider"));

    Merged m = merge(List.of(new Input("a.jar", a), new Input("b.jar", b)));

    assertEquals("io.a.Provider\nio.shared.Provider\nio.b.Provider\n", m.text(service));
    assertTrue(m.result.conflicts().isEmpty(), m.result.conflicts().toString());
  }

  @Test
  void signaturesManifestsIndexesAndModuleDescriptorsOfInputsAreDropped() throws IOException {
    Path signed = jar(dir, "signed.jar", entries(
        "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: not.Ours\n\n",
        "META-INF/BC.SF", "sig", "META-INF/BC.RSA", "sig", "META-INF/x.dsa", "sig", "META-INF/K.EC", "sig",
        "META-INF/SIG-X", "sig", "META-INF/INDEX.LIST", "index", "module-info.class", "module",
        "META-INF/versions/11/module-info.class", "module", "META-INF/versions/11/a/A.class", "kept",
        "META-INF/maven/g/a/pom.properties", "kept", "a/A.class", "kept"));

    Merged m = merge(List.of(new Input("signed.jar", signed)));

    assertEquals(List.of("META-INF/", "META-INF/MANIFEST.MF", "META-INF/versions/", "META-INF/versions/11/",
            "META-INF/versions/11/a/", "META-INF/versions/11/a/A.class", "META-INF/maven/", "META-INF/maven/g/",
            "META-INF/maven/g/a/", "META-INF/maven/g/a/pom.properties", "a/", "a/A.class"),
        m.names, "the manifest first, directories before their files, nothing of the signature");
    assertEquals("io.example.Main", m.manifest().getMainAttributes().getValue("Main-Class"));
  }

  @Test
  void manifestNamesTheMainClassAndIsMultiReleaseWhenAnInputIs() throws IOException {
    Path plain = jar(dir, "plain.jar", entries("a/A.class", "a"));
    Path mr = jar(dir, "mr.jar", entries("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMulti-Release: true\n\n"));

    Manifest single = merge(List.of(new Input("plain.jar", plain))).manifest();
    Manifest both = merge(List.of(new Input("plain.jar", plain), new Input("mr.jar", mr))).manifest();

    assertEquals("io.example.Main", single.getMainAttributes().getValue("Main-Class"));
    assertEquals("dtac-maven-plugin test", single.getMainAttributes().getValue("Created-By"));
    assertNull(single.getMainAttributes().getValue("Multi-Release"));
    assertEquals("true", both.getMainAttributes().getValue("Multi-Release"));
  }

  @Test
  void licenceAndNoticeFilesKeepEveryDistinctTextUnderItsInputsName() throws IOException {
    Path a = jar(dir, "a-1.jar", entries("META-INF/LICENSE.txt", "Apache\n", "META-INF/NOTICE", "A notice\n"));
    Path b = jar(dir, "b-1.jar", entries("META-INF/LICENSE.txt", "MIT\n"));
    Path c = jar(dir, "c-1.jar", entries("META-INF/LICENSE.txt", "Apache\n"));

    Merged m = merge(List.of(new Input("a-1.jar", a), new Input("b-1.jar", b), new Input("c-1.jar", c)));

    assertEquals("----- LICENSE.txt of a-1.jar -----\n\nApache\n\n----- LICENSE.txt of b-1.jar -----\n\nMIT\n",
        m.text("META-INF/LICENSE.txt"));
    assertEquals("A notice\n", m.text("META-INF/NOTICE"), "a single text stays as it was");
    assertTrue(m.result.conflicts().isEmpty());
  }

  @Test
  void sameInputsGiveTheSameBytesInAnyTimeZoneWithEveryEntryAtTheGivenTime() throws IOException {
    Path classes = Files.createDirectories(dir.resolve("classes"));
    for (String name : List.of("z/Z.class", "a/A.class", "m/M.class", "META-INF/services/x.Y")) {
      Path f = classes.resolve(name);
      Files.createDirectories(f.getParent());
      Files.writeString(f, name);
    }
    Path lib = jar(dir, "lib.jar", entries("b/B.class", "b", "META-INF/services/x.Y", "lib.Y"));
    List<Input> inputs = List.of(new Input("target/classes", classes), new Input("lib.jar", lib));

    TimeZone zone = TimeZone.getDefault();
    byte[] utc;
    byte[] tokyo;
    try {
      TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
      utc = merge(inputs).bytes;
      TimeZone.setDefault(TimeZone.getTimeZone("Asia/Tokyo"));
      tokyo = merge(inputs).bytes;
    } finally {
      TimeZone.setDefault(zone);
    }
    assertArrayEquals(utc, tokyo);
    Merged m = merge(inputs);
    assertEquals(List.of("META-INF/", "META-INF/MANIFEST.MF", "a/", "a/A.class", "m/", "m/M.class", "z/", "z/Z.class",
        "b/", "b/B.class", "META-INF/services/", "META-INF/services/x.Y"), m.names,
        "a directory's files in name order, whatever the file system lists first");
    m.times.values().forEach(t -> assertEquals(LocalDateTime.parse("2026-11-24T00:00:00"), t));
  }

  @Test
  void dropsExactlyWhatDescribesOneInput() {
    for (String name : List.of("META-INF/MANIFEST.MF", "meta-inf/manifest.mf", "META-INF/A.SF", "META-INF/A.RSA",
        "META-INF/A.DSA", "META-INF/A.EC", "META-INF/SIG-A", "META-INF/INDEX.LIST", "module-info.class",
        "META-INF/versions/9/module-info.class")) {
      assertTrue(JarMerger.dropped(name), name);
    }
    for (String name : List.of("a/module-info.class", "META-INF/sub/A.SF", "META-INF/services/a.B",
        "META-INF/LICENSE", "A.SF", "META-INF/MANIFEST.MF.txt")) {
      assertFalse(JarMerger.dropped(name), name);
    }
  }

  private static final class Merged {
    final JarMerger.Result result;
    final byte[] bytes;
    final List<String> names = new ArrayList<>();
    final Map<String, byte[]> content = new LinkedHashMap<>();
    final Map<String, LocalDateTime> times = new LinkedHashMap<>();

    Merged(JarMerger.Result result, byte[] bytes) throws IOException {
      this.result = result;
      this.bytes = bytes;
      try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(bytes))) {
        for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
          names.add(e.getName());
          content.put(e.getName(), in.readAllBytes());
          times.put(e.getName(), e.getTimeLocal());
        }
      }
    }

    String text(String name) {
      byte[] b = content.get(name);
      return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    Manifest manifest() throws IOException {
      try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(bytes))) {
        return in.getManifest();
      }
    }
  }

  private static Merged merge(List<Input> inputs) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    JarMerger.Result r = JarMerger.merge(inputs, "io.example.Main", "dtac-maven-plugin test", TIME, out);
    return new Merged(r, out.toByteArray());
  }
}
