package io.dtac.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Where the build put the example plugin files, and helpers to make plugin directories. */
final class ExamplePlugins {
  private ExamplePlugins() {}

  /** target/plugins, holding hello.plugin and calculator.plugin (packaged in the package phase). */
  static Path dir() {
    String dir = System.getProperty("dtac.plugins.dir", "target/plugins");
    Path p = Path.of(dir).toAbsolutePath();
    if (!Files.isRegularFile(p.resolve("hello.plugin"))) {
      throw new IllegalStateException("no example plugins in " + p + "; run mvn package first");
    }
    return p;
  }

  /**
   * A new plugin directory under {@code parent} holding copies of the example plugins, so a test
   * can add its own files next to them. Each copy is a whole plugin (dtac-maven-plugin packages all
   * of its code into the file): nothing else is copied or linked.
   */
  static Path copyTo(Path parent, String... names) throws IOException {
    Path plugins = Files.createDirectories(parent.resolve("plugins"));
    for (String name : names) {
      Files.copy(dir().resolve(name), plugins.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
    }
    return plugins;
  }

  /**
   * Writes {@code fileName}, a plugin that runs {@link ProbePlugin} named {@code pluginName} from
   * the test classes; {@code prelude} runs first in the script (e.g. to drop variables).
   */
  static Path probe(Path dir, String fileName, String pluginName, String prelude) throws IOException {
    String testClasses;
    try {
      testClasses = Path.of(ProbePlugin.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    } catch (java.net.URISyntaxException e) {
      throw new IOException(e);
    }
    String lib = dir().resolveSibling("lib").toString();
    return script(dir, fileName,
        prelude + "\nexec java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k -Xshare:auto"
            + " -cp '" + testClasses + ":" + lib + "/*' " + ProbePlugin.class.getName() + " " + pluginName);
  }

  /** Writes an executable shell script plugin. */
  static Path script(Path dir, String fileName, String body) throws IOException {
    Path file = dir.resolve(fileName);
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }
}
