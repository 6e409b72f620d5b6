package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandLineTest {
  private static String error(String... args) {
    return assertThrows(CommandLine.UsageException.class, () -> CommandLine.parse(List.of(args)))
        .getMessage();
  }

  @Test
  void agentOptionsTakeTheirValueNextOrAfterEquals() throws Exception {
    CommandLine cl = CommandLine.parse(List.of("agent", "--port", "0", "--plugins=p", "--config", "c.json"));
    assertEquals(CommandLine.Command.AGENT, cl.command());
    assertEquals(0, cl.port().getAsInt());
    assertEquals(Path.of("p"), cl.plugins().orElseThrow());
    assertEquals(Path.of("c.json"), cl.config().orElseThrow());
    assertEquals(9000, CommandLine.parse(List.of("agent", "--port=9000")).port().getAsInt());
  }

  @Test
  void tokenTakesALifetime() throws Exception {
    assertEquals(BearerTokens.DEFAULT_TTL, CommandLine.parse(List.of("token")).ttl());
    assertEquals(Duration.ofMinutes(30), CommandLine.parse(List.of("token", "--ttl", "30m")).ttl());
  }

  @Test
  void helpIsACommandAndAnOption() throws Exception {
    assertEquals(CommandLine.Command.HELP, CommandLine.parse(List.of("help")).command());
    assertEquals(CommandLine.Command.HELP, CommandLine.parse(List.of("--help")).command());
    assertEquals(CommandLine.Command.HELP, CommandLine.parse(List.of("agent", "-h")).command());
  }

  @Test
  void mistakesSayWhatIsWrong() {
    assertEquals("no command given", error());
    assertEquals("unknown command 'agnet'", error("agnet"));
    assertEquals("unknown option '--prot' for 'agent'", error("agent", "--prot", "1"));
    assertEquals("unknown option '--port' for 'token'", error("token", "--port", "1"));
    assertEquals("option '--port' needs a value", error("agent", "--port"));
    assertEquals("option '--port' needs a value", error("agent", "--port", "--plugins", "p"));
    assertEquals("--port must be a number from 0 (a free port) to 65535, got '70000'",
        error("agent", "--port", "70000"));
    assertEquals("unexpected argument 'now' for 'agent'", error("agent", "now"));
    assertEquals("--ttl must be at most 365d, got '400d'", error("token", "--ttl", "400d"));
  }
}
