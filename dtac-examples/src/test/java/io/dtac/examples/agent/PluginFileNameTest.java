package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The checks alone; AdminRoutesTest pins each refusal over HTTPS, and that it launches nothing. */
class PluginFileNameTest {
  @TempDir Path dir;

  private static String fromBody(String json) throws HttpError {
    return PluginFileName.fromBody(json.getBytes(StandardCharsets.UTF_8));
  }

  private static String refusal(Executable call) {
    HttpError e = assertThrows(HttpError.class, call);
    assertEquals(400, e.status());
    return e.getMessage();
  }

  @Test
  void theBodyNamesOnlyAFile() throws HttpError {
    assertEquals("hello.plugin", fromBody("{\"file\": \"hello.plugin\"}"));
    assertEquals("the body must be a JSON object {\"file\": \"NAME.plugin\"} naming a plugin file in the"
        + " agent's plugin directory", refusal(() -> PluginFileName.fromBody(new byte[0])));
    assertTrue(refusal(() -> fromBody("{\"file\":")).startsWith("malformed JSON body ("));
    assertEquals("unknown field 'x' in the body; send {\"file\": \"NAME.plugin\"}",
        refusal(() -> fromBody("{\"file\": \"a.plugin\", \"x\": 1}")));
    assertEquals("the body needs \"file\" as a string: {\"file\": \"NAME.plugin\"}",
        refusal(() -> fromBody("{\"file\": 1}")));
  }

  @Test
  void aBarePluginFileNameInTheDirectoryResolvesInIt() throws Exception {
    Files.writeString(dir.resolve("hello.plugin"), "#!/bin/sh\n");
    assertEquals(dir.resolve("hello.plugin"), PluginFileName.resolve(dir, "hello.plugin"));
  }

  @Test
  void anythingElseIsRefusedNamingTheProblem() throws Exception {
    Files.writeString(dir.resolve("hello.plugin"), "#!/bin/sh\n");
    Files.createDirectory(dir.resolve("dir.plugin"));
    assertTrue(refusal(() -> PluginFileName.resolve(dir, "sub/hello.plugin")).contains("contains a path separator"));
    assertTrue(refusal(() -> PluginFileName.resolve(dir, "..\\hello.plugin")).contains("contains a path separator"));
    assertEquals("\"file\" must not contain '..': 'x..plugin'", refusal(() -> PluginFileName.resolve(dir, "x..plugin")));
    assertTrue(refusal(() -> PluginFileName.resolve(dir, "a\tb.plugin")).contains("control character"));
    assertEquals("\"file\" must name a NAME.plugin file, got '.plugin'", refusal(() -> PluginFileName.resolve(dir, ".plugin")));
    assertTrue(refusal(() -> PluginFileName.resolve(dir, "")).startsWith("\"file\" is empty"));
    assertEquals("no plugin file 'dir.plugin' in the plugin directory; files there: dir.plugin, hello.plugin",
        refusal(() -> PluginFileName.resolve(dir, "dir.plugin")));
    assertEquals("no plugin file 'x.plugin' in the plugin directory; files there: (cannot list it: "
        + dir.resolve("gone") + ")", refusal(() -> PluginFileName.resolve(dir.resolve("gone"), "x.plugin")));
  }
}
