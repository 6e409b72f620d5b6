package io.dtac.examples.agent;

import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.broker.server.PluginStateListener;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@code dtac} command: runs the example agent (the hello and calculator plugins behind an
 * HTTPS REST gateway) and issues its bearer tokens. See {@link #USAGE}.
 *
 * <p>What a user or a test reads on stdout is stable: {@code listening on https://localhost:PORT}
 * once the agent serves, {@code dtac agent stopped} once it has stopped every plugin; {@code dtac
 * token} prints the token alone. Errors go to stderr; exit code 1 for a failure, 2 for a usage
 * mistake. Nothing here logs a token.
 */
public final class ExampleAgent {
  static final int DEFAULT_PORT = 8180;

  static final String USAGE =
      String.join("\n",
          "usage: dtac COMMAND [OPTIONS]",
          "",
          "Runs the example DTAC agent: the hello and calculator plugins behind an HTTPS REST gateway.",
          "",
          "commands:",
          "  agent   run the agent in the foreground; Ctrl-C or SIGTERM stops it and every plugin",
          "            --port N        HTTPS port on localhost (default 8180; 0 picks a free one)",
          "            --plugins DIR   directory of *.plugin files (default: the example plugins)",
          "            --config FILE   JSON configuration: per-plugin config, body size limit,",
          "                            timeouts (see README.md)",
          "  token   print a bearer token for the agent that uses the same DTAC_HOME",
          "            --ttl DURATION  how long it is valid: 30m, 12h, 7d... (default 24h, at most 365d)",
          "  help    print this help",
          "",
          "environment:",
          "  DTAC_HOME   the agent's state: TLS key and certificate, token secret, logs (default ~/.dtac)",
          "",
          "example:",
          "  ./dtac agent",
          "  TOKEN=$(./dtac token)",
          "  curl -ks -X POST -H \"Authorization: Bearer $TOKEN\" -H \"Content-Type: application/json\" \\",
          "    -d '{\"operation\":\"add\",\"a\":5,\"b\":3}' https://localhost:8180/plugins/calculator/calculate_via_hello",
          "");

  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;
  private final String self;

  ExampleAgent(Map<String, String> env, PrintStream out, PrintStream err) {
    this.env = env;
    this.out = out;
    this.err = err;
    this.self = System.getProperty("dtac.command", "dtac");
  }

  public static void main(String[] args) {
    int code = new ExampleAgent(System.getenv(), System.out, System.err).run(Arrays.asList(args));
    // After `agent`, the JVM is already exiting (its shutdown hook ended run); exit() would block.
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs one command; for {@code agent}, returns only once the agent has stopped. */
  int run(List<String> args) {
    CommandLine cl;
    try {
      cl = CommandLine.parse(args);
    } catch (CommandLine.UsageException e) {
      err.println("dtac: " + e.getMessage());
      err.println("run '" + self + " help' for the commands and options");
      return 2;
    }
    try {
      switch (cl.command()) {
        case AGENT:
          return agent(cl);
        case TOKEN:
          return token(cl);
        default:
          out.print(USAGE);
          out.flush();
          return 0;
      }
    } catch (IOException | IllegalArgumentException | IllegalStateException e) {
      err.println("dtac: " + e.getMessage());
      return 1;
    }
  }

  private int token(CommandLine cl) throws IOException {
    AgentHome home = AgentHome.open(AgentHome.locate(env));
    out.println(BearerTokens.load(home).issue(cl.ttl()));
    out.flush();
    return 0;
  }

  private int agent(CommandLine cl) throws IOException {
    AgentConfig config = cl.config().map(AgentConfig::read).orElseGet(AgentConfig::defaults);
    int port = cl.port().orElse(config.port().orElse(DEFAULT_PORT));
    Path plugins = cl.plugins().or(config::pluginsDir).orElseGet(ExampleAgent::examplePlugins);
    if (!Files.isDirectory(plugins)) {
      throw new IllegalArgumentException("plugin directory " + plugins + " does not exist"
          + (cl.plugins().isPresent() || config.pluginsDir().isPresent()
              ? "" : "; build the example plugins with: mvn -B -q -DskipTests package"));
    }
    AgentHome home = AgentHome.open(AgentHome.locate(env));
    configureLogging(home.rotateLog());
    BearerTokens tokens = BearerTokens.load(home);
    SelfSignedCertificate certificate = SelfSignedCertificate.loadOrCreate(home);

    out.println("dtac agent: DTAC_HOME " + home.dir() + " (log: " + home.logFile() + ")");
    if (certificate.created()) {
      out.println("created a self-signed certificate: " + home.certificate());
    }
    out.println("loading plugins from " + plugins.toAbsolutePath());
    out.flush();

    AtomicBoolean started = new AtomicBoolean();
    Agent agent =
        new Agent(plugins, port, config, tokens, certificate, changes(started), home.auditFile(),
            AgentObservability.of(config, env));
    CountDownLatch stopped = new CountDownLatch(1);
    // Installed before start() so that Ctrl-C while plugins launch still stops them.
    Thread hook = new Thread(() -> {
      out.println("dtac agent: stopping the gateway and every plugin");
      out.flush();
      agent.close();
      out.println("dtac agent stopped");
      out.flush();
      stopped.countDown();
    }, "dtac-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      agent.start();
    } catch (IOException | RuntimeException e) {
      removeHook(hook);
      throw e;
    }
    started.set(true);
    printSummary(home, agent, certificate);
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down: the hook runs anyway and finds the agent closed.
    }
  }

  private void printSummary(AgentHome home, Agent agent, SelfSignedCertificate certificate) {
    List<PluginInfo> all = agent.broker().plugins();
    for (PluginInfo p : all) {
      if (p.state() == PluginState.RUNNING) {
        out.println("plugin " + p.name() + " loaded"
            + (p.file() == null ? "" : " from " + p.file().getFileName())
            + (p.pid().isPresent() ? " (pid " + p.pid().getAsLong() + ")" : "")
            + ": " + Routes.describe(p));
      } else {
        out.println("plugin " + p.name() + " " + p.state()
            + p.failure().map(f -> ": " + f).orElse(""));
      }
    }
    long running = all.stream().filter(p -> p.state() == PluginState.RUNNING).count();
    out.println(running + " plugin(s) loaded, " + (all.size() - running) + " failed");
    String url = "https://localhost:" + agent.port();
    out.println("listening on " + url + " (self-signed certificate " + home.certificate()
        + ", SHA-256 " + certificate.fingerprint() + ")");
    String token = (env.containsKey(AgentHome.ENV) ? "DTAC_HOME=" + home.dir() + " " : "")
        + self + " token";
    out.println("get a token:  TOKEN=$(" + token + ")");
    out.println("try it:       curl -ks -H \"Authorization: Bearer $TOKEN\" " + url + "/plugins");
    if (agent.metricsPort() > 0) {
      out.println("metrics:      http://127.0.0.1:" + agent.metricsPort() + "/metrics (Prometheus, loopback only)");
    }
    out.println("stop:         Ctrl-C (or SIGTERM) stops the agent and every plugin");
    out.flush();
  }

  /** After start-up, reports each plugin state change on stdout (start-up has its summary). */
  private PluginStateListener changes(AtomicBoolean started) {
    return (plugin, from) -> {
      if (started.get()) {
        out.println("plugin " + plugin.name() + ": " + from + " -> " + plugin.state()
            + plugin.failure().map(f -> " (" + f + ")").orElse(""));
        out.flush();
      }
    };
  }

  /**
   * Sends the agent's log (its own, the broker's and every plugin's) to {@code logFile}. Must run
   * before the first SLF4J logger is made, hence before any agent class that logs is used.
   */
  private static void configureLogging(Path logFile) {
    System.setProperty("org.slf4j.simpleLogger.logFile", logFile.toString());
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
  }

  /** The plugins the build made: {@code target/plugins} next to {@code target/lib}. */
  static Path examplePlugins() {
    try {
      Path location = Path.of(
          ExampleAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path target = Files.isDirectory(location) ? location.getParent() : location.getParent().getParent();
      return target.resolve("plugins");
    } catch (URISyntaxException | RuntimeException e) {
      return Path.of("dtac-examples", "target", "plugins").toAbsolutePath();
    }
  }
}
