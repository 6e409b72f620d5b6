package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code dtac} commands that return at once, run in-process. */
class ExampleAgentTest {
  @TempDir Path tmp;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(Map<String, String> env, String... args) {
    return new ExampleAgent(env, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)).run(List.of(args));
  }

  @Test
  void tokenPrintsOnlyATokenTheHomeVerifies() throws IOException {
    Path home = tmp.resolve("home");
    assertEquals(0, run(Map.of("DTAC_HOME", home.toString()), "token", "--ttl", "1h"));
    String printed = out.toString(StandardCharsets.UTF_8);
    assertTrue(printed.endsWith("\n"));
    String token = printed.strip();
    assertEquals(1, printed.lines().count());
    assertEquals(BearerTokens.Verdict.VALID, BearerTokens.load(AgentHome.open(home)).verify(token));
    assertEquals("", err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void helpListsTheCommands() {
    assertEquals(0, run(Map.of(), "help"));
    String help = out.toString(StandardCharsets.UTF_8);
    assertTrue(help.contains("  agent ") && help.contains("  token ") && help.contains("DTAC_HOME"), help);
  }

  @Test
  void usageMistakeExitsWith2AndPointsToHelp() {
    assertEquals(2, run(Map.of(), "agent", "--prot", "1"));
    assertEquals("dtac: unknown option '--prot' for 'agent'\nrun 'dtac help' for the commands and options\n",
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void badConfigFileExitsWith1NamingTheProblem() throws IOException {
    Path config = Files.writeString(tmp.resolve("agent.json"), "{\"max_body\": 1}");
    assertEquals(1, run(Map.of("DTAC_HOME", tmp.resolve("home").toString()),
        "agent", "--config", config.toString()));
    assertTrue(err.toString(StandardCharsets.UTF_8).startsWith(
        "dtac: config file " + config + ": unknown key 'max_body'"), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void missingPluginDirectoryExitsWith1() {
    Path missing = tmp.resolve("none");
    assertEquals(1, run(Map.of("DTAC_HOME", tmp.resolve("home").toString()),
        "agent", "--plugins", missing.toString()));
    assertEquals("dtac: plugin directory " + missing + " does not exist\n", err.toString(StandardCharsets.UTF_8));
  }
}
