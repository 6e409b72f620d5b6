package io.dtac.examples.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GatewayJsonTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void jsonContentTypeIsRecognised() {
    assertTrue(GatewayJson.isJson("application/json"));
    assertTrue(GatewayJson.isJson("Application/JSON; charset=utf-8"));
    assertTrue(GatewayJson.isJson("application/problem+json"));
    assertFalse(GatewayJson.isJson("text/plain"));
    assertFalse(GatewayJson.isJson(null));
  }

  @Test
  void anythingAfterTheValueButWhiteSpaceIsMalformed() throws Exception {
    assertEquals(1, GatewayJson.parse(utf8("{\"a\":1}  \n")).get("a").asInt());
    GatewayJson.MalformedJson e =
        assertThrows(GatewayJson.MalformedJson.class, () -> GatewayJson.parse(utf8("{} trailing")));
    assertTrue(e.reason().contains("Unrecognized token 'trailing'"), e.reason());
    assertTrue(e.where().startsWith(" (line 1, column "), e.where());
    assertFalse(GatewayJson.isWellFormed(utf8("{\"a\":")));
    assertTrue(GatewayJson.isWellFormed(utf8("[1, 2]")));
  }

  @Test
  void writesATreeAsCompactJson() {
    assertEquals("{\"a\":1,\"b\":null}",
        new String(GatewayJson.write(GatewayJson.object().put("a", 1).putNull("b")), StandardCharsets.UTF_8));
  }
}
