package io.dtac.examples.agent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The parsed arguments of the {@code dtac} command: a subcommand and its options. Options take
 * their value as the next argument or after '=' ({@code --port 0}, {@code --port=0}). Immutable.
 */
final class CommandLine {
  enum Command { AGENT, TOKEN, HELP }

  /** A mistake in the arguments; the message says what is wrong. Exit code 2. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  private final Command command;
  private final OptionalInt port;
  private final Optional<Path> plugins;
  private final Optional<Path> config;
  private final Duration ttl;

  private CommandLine(Command command, OptionalInt port, Optional<Path> plugins, Optional<Path> config,
      Duration ttl) {
    this.command = command;
    this.port = port;
    this.plugins = plugins;
    this.config = config;
    this.ttl = ttl;
  }

  /** @throws UsageException for an unknown subcommand or option, or a bad value */
  static CommandLine parse(List<String> args) throws UsageException {
    if (args.isEmpty()) {
      throw new UsageException("no command given");
    }
    Command command;
    switch (args.get(0)) {
      case "agent":
        command = Command.AGENT;
        break;
      case "token":
        command = Command.TOKEN;
        break;
      case "help":
      case "--help":
      case "-h":
        return new CommandLine(Command.HELP, OptionalInt.empty(), Optional.empty(), Optional.empty(),
            BearerTokens.DEFAULT_TTL);
      default:
        throw new UsageException("unknown command '" + args.get(0) + "'");
    }
    OptionalInt port = OptionalInt.empty();
    Optional<Path> plugins = Optional.empty();
    Optional<Path> config = Optional.empty();
    Duration ttl = BearerTokens.DEFAULT_TTL;
    for (int i = 1; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--help") || arg.equals("-h")) {
        return new CommandLine(Command.HELP, port, plugins, config, ttl);
      }
      String name = arg;
      String value = null;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      }
      String subcommand = args.get(0);
      if (command == Command.AGENT && name.equals("--port")) {
        String v = value != null ? value : next(args, ++i, name);
        port = OptionalInt.of(port(v));
      } else if (command == Command.AGENT && name.equals("--plugins")) {
        plugins = Optional.of(Path.of(value != null ? value : next(args, ++i, name)));
      } else if (command == Command.AGENT && name.equals("--config")) {
        config = Optional.of(Path.of(value != null ? value : next(args, ++i, name)));
      } else if (command == Command.TOKEN && name.equals("--ttl")) {
        String v = value != null ? value : next(args, ++i, name);
        try {
          ttl = AgentConfig.duration("--ttl", v);
        } catch (IllegalArgumentException e) {
          throw new UsageException(e.getMessage());
        }
        if (ttl.compareTo(BearerTokens.MAX_TTL) > 0) {
          throw new UsageException("--ttl must be at most 365d, got '" + v + "'");
        }
      } else if (name.startsWith("-")) {
        throw new UsageException("unknown option '" + name + "' for '" + subcommand + "'");
      } else {
        throw new UsageException("unexpected argument '" + arg + "' for '" + subcommand + "'");
      }
    }
    return new CommandLine(command, port, plugins, config, ttl);
  }

  private static String next(List<String> args, int i, String option) throws UsageException {
    if (i >= args.size() || args.get(i).startsWith("--")) {
      throw new UsageException("option '" + option + "' needs a value");
    }
    return args.get(i);
  }

  private static int port(String value) throws UsageException {
    try {
      int p = Integer.parseInt(value);
      if (p >= 0 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new UsageException("--port must be a number from 0 (a free port) to 65535, got '" + value + "'");
  }

  Command command() {
    return command;
  }

  OptionalInt port() {
    return port;
  }

  Optional<Path> plugins() {
    return plugins;
  }

  Optional<Path> config() {
    return config;
  }

  Duration ttl() {
    return ttl;
  }
}
