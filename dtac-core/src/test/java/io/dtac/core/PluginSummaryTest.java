package io.dtac.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The descriptions of loaded plugins and their endpoints that the broker hands out. */
class PluginSummaryTest {
  private static final EndpointInfo HELLO = new EndpointInfo(Action.READ, "hello", "says hello", true, "user", "", "");

  @Test
  void aSummaryHoldsAnUnmodifiableCopyOfTheEndpoints() {
    List<EndpointInfo> endpoints = new ArrayList<>(List.of(HELLO));
    PluginSummary s = new PluginSummary("HelloPlugin", "hello", "RUNNING", endpoints);
    endpoints.clear();
    assertEquals(List.of(HELLO), s.endpoints());
    assertThrows(UnsupportedOperationException.class, () -> s.endpoints().add(HELLO));
    assertEquals("HelloPlugin", s.name());
    assertEquals("hello", s.rootPath());
    assertEquals("RUNNING", s.state());
  }

  @Test
  void aSummaryNeedsANameARootPathAStateAndEndpoints() {
    assertEquals("name", assertThrows(NullPointerException.class,
        () -> new PluginSummary(null, "hello", "RUNNING", List.of())).getMessage());
    assertEquals("rootPath", assertThrows(NullPointerException.class,
        () -> new PluginSummary("HelloPlugin", null, "RUNNING", List.of())).getMessage());
    assertEquals("state", assertThrows(NullPointerException.class,
        () -> new PluginSummary("HelloPlugin", "hello", null, List.of())).getMessage());
    assertThrows(NullPointerException.class, () -> new PluginSummary("HelloPlugin", "hello", "RUNNING", null));
  }

  @Test
  void anEndpointsOptionalTextsAreEmptyRatherThanNull() {
    EndpointInfo e = new EndpointInfo(Action.CREATE, "calculate", null, false, null, null, null);
    assertEquals(new EndpointInfo(Action.CREATE, "calculate", "", false, "", "", ""), e);
    assertEquals("create:calculate", e.methodKey());
  }

  @Test
  void anEndpointNeedsAnActionAndAPath() {
    assertEquals("action", assertThrows(NullPointerException.class,
        () -> new EndpointInfo(null, "hello", "", true, "", "", "")).getMessage());
    assertEquals("path", assertThrows(NullPointerException.class,
        () -> new EndpointInfo(Action.READ, null, "", true, "", "", "")).getMessage());
  }
}
