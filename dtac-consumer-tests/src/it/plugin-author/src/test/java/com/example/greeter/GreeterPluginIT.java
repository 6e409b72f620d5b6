package com.example.greeter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginConfig;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.testing.PluginTestKit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Deploy step: the files `mvn package` wrote, copied alone into a plugin directory
 * and pinned to the SHA-256 the build printed (target/NAME.plugin.sha256), run as OS processes
 * under a real PluginBroker, which calls GreeterPlugin; GreeterPlugin calls DirectoryPlugin
 * through that broker.
 */
class GreeterPluginIT {
  private static final Path TARGET = Path.of(System.getProperty("plugins.dir", "target"));

  @RegisterExtension final PluginTestKit kit = new PluginTestKit();
  @TempDir Path dir;

  @Test
  void thePackagedPluginsRunUnderARealBrokerPinnedToTheirPrintedSha256() throws Exception {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    deploy("greeter", plugins);
    deploy("directory", plugins);

    PluginBroker broker = kit.startBroker(PluginBroker.builder()
        .pluginDirectory(plugins)
        .pluginConfig(PluginConfig.builder("greeter").expectedSha256(printedSha256("greeter")).build())
        .pluginConfig(PluginConfig.builder("directory").expectedSha256(printedSha256("directory"))
            .configJson("{\"titles\": {\"Ada\": \"Countess\"}}").build()));
    assertEquals(List.of("DirectoryPlugin", "GreeterPlugin"),
        broker.plugins().stream().map(PluginInfo::name).sorted().toList(), broker.plugins().toString());
    for (PluginInfo plugin : broker.plugins()) {
      long pid = plugin.pid().orElseThrow();
      assertTrue(pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false),
          "not a process of its own: " + plugin);
    }

    Request ada = Request.builder().parameter("name", "Ada").build();
    Response r = broker.call("GreeterPlugin", "greet", Action.READ, ada);
    assertEquals("Hello, Countess Ada", r.valueJson().get("greeting").asText(), r.valueAsString());
    assertEquals("GreeterPlugin", r.valueJson().get("directory_saw_caller").asText(),
        "the broker names the caller from the process that called");
    assertEquals("[\"agent\",\"GreeterPlugin\",\"DirectoryPlugin\"]", r.valueJson().get("directory_saw_chain").toString());

    Response async = broker.callAsync("GreeterPlugin", "greet_async", Action.READ, ada).get(30, TimeUnit.SECONDS);
    assertEquals("Hello, Countess Ada", async.valueJson().get("greeting").asText(), async.valueAsString());
  }

  @Test
  void aFileWithAnotherSha256IsRefused() throws Exception {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    deploy("greeter", plugins);
    String other = printedSha256("directory");

    PluginBroker broker = kit.manage(PluginBroker.builder()
        .pluginDirectory(plugins)
        .pluginConfig(PluginConfig.builder("greeter").expectedSha256(other).build())
        .build()
        .start());

    PluginInfo greeter = broker.plugins().get(0);
    assertEquals(PluginState.FAILED, greeter.state(), greeter.toString());
    assertTrue(greeter.failure().orElse("").contains("but the configuration expects " + other), greeter.toString());
  }

  /** Copies NAME.plugin, alone, as a user copies it into the agent's plugin directory. */
  private static void deploy(String name, Path plugins) throws Exception {
    Files.copy(TARGET.resolve(name + ".plugin"), plugins.resolve(name + ".plugin"), StandardCopyOption.COPY_ATTRIBUTES);
  }

  /** The hash in target/NAME.plugin.sha256 ("HEX  NAME.plugin"), checked against the file's own. */
  private static String printedSha256(String name) throws Exception {
    String line = Files.readString(TARGET.resolve(name + ".plugin.sha256"));
    assertTrue(line.matches("[0-9a-f]{64}  " + name + "\\.plugin\n"), "target/" + name + ".plugin.sha256: " + line);
    String printed = line.substring(0, 64);
    String actual = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(TARGET.resolve(name + ".plugin"))));
    assertEquals(actual, printed, "the SHA-256 the build printed is not the file's");
    return printed;
  }
}
