package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.PluginConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentConfigTest {
  @TempDir Path tmp;

  private Path write(String json) throws IOException {
    return Files.writeString(tmp.resolve("agent.json"), json);
  }

  private String error(String json) throws IOException {
    Path file = write(json);
    return assertThrows(IllegalArgumentException.class, () -> AgentConfig.read(file)).getMessage();
  }

  @Test
  void rateLimitsAreReadPerCallerAndPerTarget() throws IOException {
    AgentConfig c = AgentConfig.read(write("{\"rate_limits\": {\"per_caller\": {\"calls\": 100, \"per\": \"1s\","
        + " \"max_in_flight\": 8}, \"per_target\": {\"max_in_flight\": 16}}}"));
    assertEquals(new io.dtac.broker.server.RateLimit(100, java.time.Duration.ofSeconds(1), 8), c.callerLimit().orElseThrow());
    assertEquals(new io.dtac.broker.server.RateLimit(Integer.MAX_VALUE, java.time.Duration.ofSeconds(1), 16),
        c.targetLimit().orElseThrow());
    assertTrue(AgentConfig.defaults().callerLimit().isEmpty());
    String e = error("{\"rate_limits\": {\"per_caller\": {\"calls\": -1}}}");
    assertTrue(e.contains("rate_limits.per_caller") && e.contains("'calls' must be a whole number"), e);
    String unknown = error("{\"rate_limits\": {\"per_plugin\": {}}}");
    assertTrue(unknown.contains("per_plugin"), unknown);
  }

  @Test
  void everyKeyIsRead() throws IOException {
    AgentConfig c = AgentConfig.read(write("{\"port\": 9000, \"plugins_dir\": \"p\", \"max_body_bytes\": 10,"
        + " \"call_timeout\": \"2s\", \"handshake_timeout\": \"1m\", \"threads\": 4,"
        + " \"plugins\": {\"hello\": {\"config\": {\"message\": \"Hi\"}, \"root_path\": \"hi\","
        + " \"user\": \"nobody\", \"group\": \"nogroup\"},"
        + " \"calculator\": {\"enabled\": false}}}"));
    assertEquals(9000, c.port().getAsInt());
    assertEquals(tmp.resolve("p"), c.pluginsDir().orElseThrow());
    assertEquals(10, c.maxBodyBytes());
    assertEquals(Duration.ofSeconds(2), c.callTimeout());
    assertEquals(Duration.ofMinutes(1), c.handshakeTimeout());
    assertEquals(4, c.threads());
    PluginConfig hello = c.plugins().get(0);
    assertEquals("hello", hello.fileStem());
    assertEquals("{\"message\":\"Hi\"}", hello.configJson());
    assertEquals("hi", hello.rootPath().orElseThrow());
    assertEquals("nobody", hello.user().orElseThrow());
    assertEquals("nogroup", hello.group().orElseThrow());
    assertFalse(c.plugins().get(1).enabled());
  }

  @Test
  void theGatewaysLimitsAreReadAndDefaultSafely() throws IOException {
    GatewayLimits l = AgentConfig.read(write("{\"threads\": 6, \"max_requests_per_client\": 2,"
        + " \"max_connections\": 300, \"max_connections_per_client\": 50, \"header_timeout\": \"5s\","
        + " \"request_timeout\": \"1m\", \"idle_timeout\": \"20s\"}")).gatewayLimits();
    assertEquals(6, l.threads());
    assertEquals(2, l.maxRequestsPerClient());
    assertEquals(300, l.maxConnections());
    assertEquals(50, l.maxConnectionsPerClient());
    assertEquals(Duration.ofSeconds(5), l.headerTimeout());
    assertEquals(Duration.ofMinutes(1), l.requestTimeout());
    assertEquals(Duration.ofSeconds(20), l.idleTimeout());
    GatewayLimits d = AgentConfig.read(write("{\"threads\": 5}")).gatewayLimits();
    assertEquals(3, d.maxRequestsPerClient(), "half of threads, rounded up");
    assertEquals(GatewayLimits.DEFAULT_MAX_CONNECTIONS, d.maxConnections());
    assertEquals(GatewayLimits.DEFAULT_HEADER_TIMEOUT, d.headerTimeout());
    assertEquals(GatewayLimits.defaults().threads(), AgentConfig.defaults().gatewayLimits().threads());
  }

  @Test
  void limitsThatCannotHoldTogetherNameTheirKeys() throws IOException {
    assertTrue(error("{\"threads\": 4, \"max_requests_per_client\": 5}")
        .contains("max_requests_per_client must be from 1 to 4 (at most threads), got 5"));
    assertTrue(error("{\"max_connections\": 10}")
        .contains("max_connections_per_client must be from 1 to 10 (at most max_connections), got 256"));
    assertTrue(error("{\"header_timeout\": \"1m\"}")
        .contains("header_timeout (60000 ms) must not be longer than request_timeout (30000 ms)"));
    assertTrue(error("{\"idle_timeout\": \"0s\"}").contains("idle_timeout must be positive"));
    assertTrue(error("{\"max_connections\": 0}").contains("'max_connections' must be an integer from 1"));
  }

  @Test
  void accessPolicyFileIsRelativeToTheConfigFileAndTlsCanBeTurnedOff() throws IOException {
    AgentConfig c = AgentConfig.read(write("{\"access_policy_file\": \"policy.yaml\", \"tls\": false}"));
    assertEquals(tmp.resolve("policy.yaml"), c.accessPolicyFile().orElseThrow());
    assertFalse(c.tls().orElseThrow());
    AgentConfig d = AgentConfig.read(write("{}"));
    assertTrue(d.accessPolicyFile().isEmpty());
    assertTrue(d.tls().isEmpty(), "without the key, the broker's default applies");
    assertTrue(error("{\"tls\": \"no\"}").contains("'tls' must be true or false"));
  }

  @Test
  void logRotationAndThePluginLogRateAreRead() throws IOException {
    LogSettings logs = AgentConfig.read(write("{\"logs\": {\"max_file_size\": \"256KB\", \"max_files\": 3,"
        + " \"audit_max_file_size\": \"2 GB\", \"audit_max_files\": 20, \"plugin_records_per_second\": 50,"
        + " \"plugin_burst\": 100}}")).logs();
    assertEquals(new LogSettings(256 * 1024, 3, 2L * 1024 * 1024 * 1024, 20, 50, 100), logs);
    assertEquals(LogSettings.DEFAULTS, AgentConfig.read(write("{}")).logs());
    assertEquals(new LogSettings(10L << 20, 5, 10L << 20, 20, 200, 2_000), LogSettings.DEFAULTS);
  }

  @Test
  void logMistakesNameTheKey() throws IOException {
    assertTrue(error("{\"logs\": {\"max_size\": \"1MB\"}}").contains("logs: unknown key 'max_size'"));
    assertTrue(error("{\"logs\": {\"max_file_size\": \"10\"}}").contains("'max_file_size' must be a size of at least 64KB"));
    assertTrue(error("{\"logs\": {\"max_file_size\": \"1KB\"}}").contains("at least 64KB"));
    assertTrue(error("{\"logs\": {\"max_files\": 21}}").contains("'max_files' must be an integer from 1 to 20"));
    assertTrue(error("{\"logs\": {\"plugin_burst\": 0}}").contains("'plugin_burst' must be an integer from 1"));
    assertTrue(error("{\"logs\": 5}").contains("logs must be an object"));
  }

  @Test
  void emptyObjectMeansDefaults() throws IOException {
    AgentConfig c = AgentConfig.read(write("{}"));
    assertTrue(c.port().isEmpty());
    assertEquals(AgentConfig.DEFAULT_MAX_BODY_BYTES, c.maxBodyBytes());
    assertEquals(AgentConfig.DEFAULT_CALL_TIMEOUT, c.callTimeout());
  }

  @Test
  void mistakesNameTheFileAndTheKey() throws IOException {
    assertTrue(error("{\"prot\": 1}").contains("unknown key 'prot'; known keys: access_policy_file, call_timeout,"));
    assertTrue(error("{\"port\": \"x\"}").contains("'port' must be an integer from 0 to 65535"));
    assertTrue(error("{\"max_body_bytes\": -1}").contains("'max_body_bytes' must be an integer"));
    assertTrue(error("{\"call_timeout\": \"30\"}").contains("call_timeout must be a number and a unit"));
    assertTrue(error("{\"plugins\": {\"hello\": {\"config\": 3}}}").contains("plugins.hello.config must be a JSON object"));
    assertTrue(error("{\"plugins\": {\"hello\": {\"sha\": 3}}}").contains("plugins.hello: unknown key 'sha'"));
    assertTrue(error("{\"plugins\": {\"hello\": {\"sha256\": \"abc\"}}}").contains("must be 64 hex digits"));
    assertTrue(error("{\"plugins\": {\"hello\": {\"user\": \"no body\"}}}").contains("must be a user name or a numeric uid"));
    assertTrue(error("{\"plugins\": {\"hello\": {\"group\": \"nogroup\"}}}").contains("set without a user"));
    assertTrue(error("{\"port\": 1} x").contains("is not valid JSON"));
    assertTrue(error("[]").contains("must hold a JSON object"));
    String missing = assertThrows(IllegalArgumentException.class,
        () -> AgentConfig.read(tmp.resolve("nope.json"))).getMessage();
    assertTrue(missing.endsWith("nope.json does not exist"), missing);
  }

  @Test
  void durationsTakeAUnit() {
    assertEquals(Duration.ofMillis(500), AgentConfig.duration("d", "500ms"));
    assertEquals(Duration.ofDays(7), AgentConfig.duration("d", "7d"));
    assertEquals(Duration.ofHours(12), AgentConfig.duration("d", " 12H "));
    assertThrows(IllegalArgumentException.class, () -> AgentConfig.duration("d", "0s"));
    assertThrows(IllegalArgumentException.class, () -> AgentConfig.duration("d", "PT1S"));
    assertThrows(IllegalArgumentException.class, () -> AgentConfig.duration("d", "-1s"));
  }
}
