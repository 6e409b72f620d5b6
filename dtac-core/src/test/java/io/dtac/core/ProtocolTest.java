package io.dtac.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The protocol's names are a contract with agents and plugins built elsewhere (the Go agent and
 * plugins among them): the code uses {@link Protocol} only, and this test is the one deliberate
 * second copy, so that changing a value on the wire is a decision, never a side effect of a
 * rename.
 */
class ProtocolTest {
  @Test
  void environmentVariableNamesAreTheProtocols() {
    assertEquals("DTAC_PLUGINS", Protocol.ENV_PLUGINS);
    assertEquals("DTAC_WATCH_STDIN", Protocol.ENV_WATCH_STDIN);
    assertEquals("DTAC_AGENT_PID", Protocol.ENV_AGENT_PID);
    assertEquals("DTAC_TLS_CERT", Protocol.ENV_TLS_CERT);
    assertEquals("DTAC_TLS_KEY", Protocol.ENV_TLS_KEY);
    assertEquals("DTAC_TLS_CA", Protocol.ENV_TLS_CA);
    assertEquals("DTAC_UNIX_SOCKET_DIR", Protocol.ENV_UNIX_SOCKET_DIR);
    assertEquals("DTAC_BROKER_CREDENTIAL_STDIN", Protocol.ENV_CREDENTIAL_ON_STDIN);
    assertEquals("DTAC_PLUGIN_JAVA_OPTS", Protocol.ENV_PLUGIN_JAVA_OPTS);
  }

  @Test
  void socketNamesAreTheProtocols() {
    assertEquals("broker.sock", Protocol.BROKER_SOCKET);
    assertEquals("p4242.sock", Protocol.pluginSocket(4242));
    assertEquals("unix:", Protocol.UNIX_ADDRESS_PREFIX);
  }

  @Test
  void metadataAndHeaderNamesAreTheProtocols() {
    assertEquals("dtac-", Protocol.RESERVED_PREFIX);
    assertEquals("dtac-caller", Protocol.CALLER_METADATA);
    assertEquals("dtac-call-chain", Protocol.CALL_CHAIN_METADATA);
    assertEquals("dtac-call-token", Protocol.CALL_TOKEN);
    assertEquals("dtac-broker-credential", Protocol.CREDENTIAL_HEADER);
    assertEquals(">", Protocol.CHAIN_SEPARATOR);
    assertEquals("agent", Protocol.HOST_CALLER);
    assertEquals("traceparent", Protocol.TRACE_PARENT);
    assertEquals("tracestate", Protocol.TRACE_STATE);
  }

  @Test
  void rateLimitRefusalsAreRecognisable() {
    assertEquals("rate limit exceeded: ", Protocol.RATE_LIMIT_REFUSAL);
  }
}
