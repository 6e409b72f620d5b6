package com.example.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * Every io.dtac jar this project gets names its module (Automatic-Module-Name), with a name the JDK
 * accepts, that is the root of all its packages, and no two jars share a package (a split package
 * cannot be on the module path).
 */
class ModuleNamesTest {

  /** The published jars and their module names; a new published artifact goes here too. */
  private static final Map<String, String> EXPECTED = Map.of(
      "dtac-broker-api", "io.dtac.broker.api",
      "dtac-core", "io.dtac.core",
      "dtac-plugin-client", "io.dtac.plugin",
      "dtac-broker-server", "io.dtac.broker.server");

  @Test
  void everyPublishedJarNamesItsModule() throws Exception {
    Map<String, String> names = new TreeMap<>();
    Map<String, String> packageOwners = new TreeMap<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path jar = Path.of(entry);
      if (!jar.toString().endsWith(".jar") || !jar.toString().contains(
          File.separator + "io" + File.separator + "dtac" + File.separator)) {
        continue;
      }
      String artifact = jar.getParent().getParent().getFileName().toString();
      String declared;
      try (JarFile file = new JarFile(jar.toFile())) {
        declared = file.getManifest().getMainAttributes().getValue("Automatic-Module-Name");
      }
      assertNotNull(declared, jar + " has no Automatic-Module-Name in its manifest");

      ModuleReference module = ModuleFinder.of(jar).findAll().iterator().next();
      ModuleDescriptor descriptor = module.descriptor();
      assertEquals(declared, descriptor.name(), jar + ": the JDK reads another module name");
      Set<String> packages = descriptor.packages();
      assertTrue(!packages.isEmpty(), jar + " holds no package");
      for (String pkg : packages) {
        assertTrue(pkg.equals(declared) || pkg.startsWith(declared + "."),
            jar + ": package " + pkg + " is not under its module name " + declared);
        String other = packageOwners.put(pkg, artifact);
        if (other != null) {
          fail("package " + pkg + " is in both " + other + " and " + artifact + " (a split package)");
        }
      }
      names.put(artifact, declared);
    }
    assertEquals(new TreeMap<>(EXPECTED), names,
        "the io.dtac jars on this project's classpath and their module names");
  }
}
