package io.dtac.broker.server;

import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.StatusCode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dtac.broker.api.EndpointRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PluginBrokerBuilderTest {
  private static String refused(PluginBrokerBuilder b) {
    return assertThrows(IllegalArgumentException.class, b::build).getMessage();
  }

  @Test
  void reliabilitySettingsAreValidatedOnBuild() {
    assertEquals("maxCallDepth must be at least 1, got 0", refused(PluginBroker.builder().maxCallDepth(0)));
    assertEquals("maxRestarts must be 0 (never restart) or more, got -1",
        refused(PluginBroker.builder().maxRestarts(-1, Duration.ofMinutes(1))));
    assertEquals("restartBackoff maxDelay (PT1S) must not be less than initialDelay (PT2S)",
        refused(PluginBroker.builder().restartBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1))));
    assertEquals("healthCheckInterval must be positive, or zero to disable checks; got PT-1S",
        refused(PluginBroker.builder().healthCheckInterval(Duration.ofSeconds(-1))));
    assertEquals("healthCheckFailures must be at least 1, got 0", refused(PluginBroker.builder().healthCheckFailures(0)));
    assertEquals("maxMessageSize must be at least 1024 bytes, got 10", refused(PluginBroker.builder().maxMessageSize(10)));
    assertEquals("drainTimeout must be positive, got PT0S", refused(PluginBroker.builder().drainTimeout(Duration.ZERO)));
  }

  @Test
  void aBrokerWithoutPluginsStartsAndClosesAndRefusesCallsAfterwards() throws Exception {
    PluginBroker broker = PluginBroker.builder().healthCheckInterval(Duration.ZERO).build().start();
    broker.close();
    broker.close();
    PluginCallException e = assertThrows(PluginCallException.class,
        () -> broker.call("HelloPlugin", "hello", Action.READ, Request.empty()));
    assertEquals(StatusCode.UNAVAILABLE, e.code());
    assertEquals("the broker is shutting down and accepts no new calls", e.description());
    assertThrows(IllegalStateException.class, () -> broker.reload("HelloPlugin"));
  }
}
