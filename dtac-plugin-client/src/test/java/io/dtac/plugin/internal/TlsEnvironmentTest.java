package io.dtac.plugin.internal;

import io.dtac.core.Protocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which TLS a plugin uses, from what the agent put in its environment. */
class TlsEnvironmentTest {
  private static final String PEM = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";

  @Test
  void withoutTlsVariablesEverythingIsPlaintext() throws Exception {
    assertInstanceOf(InsecureServerCredentials.class, TlsEnvironment.serverCredentials(Map.of()));
    assertInstanceOf(InsecureChannelCredentials.class, TlsEnvironment.channelCredentials(Map.of()));
  }

  @Test
  void agentWithoutCaLeavesTheBrokerConnectionPlaintext() {
    assertInstanceOf(InsecureChannelCredentials.class,
        TlsEnvironment.channelCredentials(Map.of(Protocol.ENV_TLS_CERT, PEM, Protocol.ENV_TLS_KEY, PEM)));
  }

  @Test
  void halfConfiguredTlsIsAnError() {
    IllegalArgumentException server = assertThrows(IllegalArgumentException.class,
        () -> TlsEnvironment.serverCredentials(Map.of(Protocol.ENV_TLS_CERT, PEM)));
    assertEquals("set both DTAC_TLS_CERT and DTAC_TLS_KEY for TLS, or neither", server.getMessage());
    IllegalArgumentException client = assertThrows(IllegalArgumentException.class,
        () -> TlsEnvironment.channelCredentials(Map.of(Protocol.ENV_TLS_CA, PEM)));
    assertEquals(
        "DTAC_TLS_CA is set but DTAC_TLS_CERT and DTAC_TLS_KEY are not: the broker requires a client certificate",
        client.getMessage());
  }
}
