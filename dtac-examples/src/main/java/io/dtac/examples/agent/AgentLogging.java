package io.dtac.examples.agent;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.util.StatusPrinter2;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * The example agent's logging, on Logback ({@code logback-agent.xml} next to this class): {@code
 * agent.log} gets every logger but the audit trail, {@code audit.jsonl} gets logger {@code
 * dtac.audit} (one JSON record per call, through a queue that waits rather than drops), each
 * rolling over by size as {@link LogSettings} says. A new run starts a new {@code agent.log} (the
 * previous run's becomes {@code agent.log.1}); {@code audit.jsonl} is appended to.
 * {@link #close()} writes every queued record and closes the files; idempotent.
 */
final class AgentLogging implements AutoCloseable {
  private static final String CONFIG = "logback-agent.xml";

  private final LoggerContext context;
  private boolean closed;

  private AgentLogging(LoggerContext context) {
    this.context = context;
  }

  /**
   * Replaces the classpath's logging (stderr) with the agent's files in {@code logDir}.
   *
   * @throws IOException if the files cannot be opened, saying why
   */
  static AgentLogging start(Path logDir, LogSettings settings) throws IOException {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext)) {
      throw new IllegalStateException("the example agent logs through Logback, but the SLF4J provider is "
          + factory.getClass().getName() + "; remove the other provider from the classpath");
    }
    LoggerContext context = (LoggerContext) factory;
    Path agentLog = logDir.resolve("agent.log");
    boolean previousRun = Files.exists(agentLog) && Files.size(agentLog) > 0;
    context.reset();
    context.putProperty("dtac.log.dir", logDir.toAbsolutePath().toString());
    context.putProperty("dtac.log.maxFileSize", Long.toString(settings.maxFileBytes()));
    context.putProperty("dtac.log.maxFiles", Integer.toString(settings.maxFiles()));
    context.putProperty("dtac.audit.maxFileSize", Long.toString(settings.auditMaxFileBytes()));
    context.putProperty("dtac.audit.maxFiles", Integer.toString(settings.auditMaxFiles()));
    URL config = AgentLogging.class.getResource(CONFIG);
    JoranConfigurator joran = new JoranConfigurator();
    joran.setContext(context);
    long since = System.currentTimeMillis();
    try {
      joran.doConfigure(config);
    } catch (JoranException e) {
      throw new IOException("cannot configure the agent's logging in " + logDir + ": " + e.getMessage(), e);
    }
    String errors = errorsSince(context, since);
    if (!errors.isEmpty()) {
      context.stop();
      throw new IOException("cannot open the agent's log files in " + logDir + ":\n" + errors);
    }
    if (previousRun) {
      ((RollingFileAppender<?>) context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender("AGENT"))
          .rollover();
    }
    return new AgentLogging(context);
  }

  private static String errorsSince(LoggerContext context, long since) {
    boolean any = context.getStatusManager().getCopyOfStatusList().stream()
        .anyMatch(s -> s.getLevel() == Status.ERROR && s.getTimestamp() >= since);
    if (!any) {
      return "";
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8)) {
      StatusPrinter2 printer = new StatusPrinter2();
      printer.setPrintStream(ps);
      printer.printInCaseOfErrorsOrWarnings(context, since);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Writes every queued record (the audit trail's included) and closes the files. */
  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      context.stop();
    }
  }
}
