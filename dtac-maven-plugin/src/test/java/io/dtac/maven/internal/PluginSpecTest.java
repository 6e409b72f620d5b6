package io.dtac.maven.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PluginSpecTest {
  @Test
  void missingMainClassSaysWhatToConfigure() {
    for (String missing : new String[] {null, "", "  "}) {
      assertEquals("dtac-maven-plugin needs <mainClass>: the class whose main method serves the plugin"
              + " (PluginHost.serve), e.g. <configuration><mainClass>com.example.HelloPlugin</mainClass></configuration>",
          error("hello", missing, ""));
    }
  }

  @Test
  void mainClassMustBeABinaryNameAndTheMessageSuggestsOne() {
    assertEquals("mainClass 'com/example/Hello.class' is not a Java class name; write it as a binary name such as"
        + " com.example.Hello", error("hello", "com/example/Hello.class", ""));
    assertEquals("mainClass 'Hello.java' is not a Java class name; write it as a binary name such as Hello",
        error("hello", "Hello.java", ""));
    assertEquals("mainClass 'com.example.' is not a Java class name; write it as a binary name such as"
        + " com.example.HelloPlugin", error("hello", "com.example.", ""));
  }

  @Test
  void pluginNameMustMakeAPluginFileName() {
    for (String bad : new String[] {"hello world", "hello.plugin", ".hidden", "a/b", "", "x".repeat(129)}) {
      assertEquals("pluginName '" + bad + "' cannot name a plugin file: use 1 to 128 letters, digits, '.', '_' or"
              + " '-', starting with a letter or digit, without '.plugin' (the file is NAME.plugin)",
          error(bad, "com.example.Hello", ""), bad);
    }
  }

  @Test
  void jvmOptionsAreCheckedToo() {
    assertEquals("jvmOptions: '-Dhome=$HOME' has a character the launcher cannot carry literally (allowed: letters,"
        + " digits and _ . / : = + , @ % -); options are separated by spaces", error("hello", "a.B", "-Dhome=$HOME"));
  }

  @Test
  void aValidSpecKeepsItsParts() throws PackagingException {
    PluginSpec spec = PluginSpec.of("hello-world_1.0", " com.example.Hello ", " -Xss512k  -Xms8m ", List.of(),
        Path.of("target"), Instant.EPOCH, "test");
    assertEquals("hello-world_1.0.plugin", spec.fileName());
    assertEquals("com.example.Hello", spec.mainClass());
    assertEquals(List.of("-Xss512k", "-Xms8m"), spec.jvmOptions());
  }

  private static String error(String name, String mainClass, String jvmOptions) {
    return assertThrows(PackagingException.class,
        () -> PluginSpec.of(name, mainClass, jvmOptions, List.of(), Path.of("target"), Instant.EPOCH, "test"))
        .getMessage();
  }
}
