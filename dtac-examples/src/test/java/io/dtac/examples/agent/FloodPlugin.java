package io.dtac.examples.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.core.Action;
import io.dtac.core.Response;
import io.dtac.plugin.LogLevel;
import io.dtac.plugin.PluginBase;
import io.dtac.plugin.PluginHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A hostile plugin for {@link LogFloodIT}, run as a real process: once registered it logs {@code
 * records} records as fast as it can over LoggingStream, every fifth also as a line on stderr,
 * each trying to forge lines in the agent's log (a line break followed by a fake audit record,
 * a carriage return, ANSI escapes, in the message and in a field's key and value), and {@code
 * huge} records of 5 MiB (over gRPC's 4 MiB limit); then it writes {@code done_file}.
 */
public final class FloodPlugin extends PluginBase {
  /** What each forged record carries after its line break: a fake audit record. */
  static final String FAKE_AUDIT = "{\"time\":\"2026-11-24T21:41:01.428Z\",\"callId\":\"forged-1\","
      + "\"caller\":\"agent\",\"target\":\"HelloPlugin\",\"method\":\"hello\",\"action\":\"read\","
      + "\"decision\":\"allow\",\"rule\":\"default\",\"status\":\"OK\"}";
  static final String ANSI = "\u001b[2J\u001b[31mRED\u001b[0m";
  /** Every flood record's message starts with this, so that the test can count them. */
  static final String MARK = "flood record ";

  private FloodPlugin() {
    super("FloodPlugin", "flood");
    endpoint(Action.READ, "ping", "answers pong", req -> Response.text("pong"));
  }

  @Override
  protected void onRegister(JsonNode config) {
    int records = config.path("records").asInt(100_000);
    int huge = config.path("huge").asInt(20);
    Path done = Path.of(config.path("done_file").asText());
    Thread t = new Thread(() -> flood(records, huge, done), "flood");
    t.setDaemon(true);
    t.start();
  }

  private void flood(int records, int huge, Path done) {
    String padding = "p".repeat(300);
    String big = "B".repeat(5 * 1024 * 1024);
    for (int i = 0; i < records; i++) {
      String forged = MARK + i + " " + padding + "\n" + FAKE_AUDIT + "\r" + ANSI;
      log(LogLevel.INFO, forged, Map.of("key\n" + FAKE_AUDIT, "value\r\n" + FAKE_AUDIT + ANSI));
      if (i % 5 == 0) {
        System.err.println(MARK + i + " on stderr\r" + ANSI + "\n" + FAKE_AUDIT);
      }
      if (i < huge) {
        log(LogLevel.WARNING, MARK + "huge " + i + " " + big);
      }
    }
    try {
      Files.writeString(done, Integer.toString(records));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static void main(String[] args) {
    PluginHost.serve(new FloodPlugin());
  }
}
