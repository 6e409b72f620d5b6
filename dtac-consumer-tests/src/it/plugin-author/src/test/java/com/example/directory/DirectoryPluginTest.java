package com.example.directory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.StatusCode;
import io.dtac.testing.PluginTestKit;
import io.dtac.testing.PluginUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** DirectoryPlugin with its configuration, called as another plugin would call it. */
class DirectoryPluginTest {
  @RegisterExtension final PluginTestKit kit = new PluginTestKit();

  @Test
  void answersTheConfiguredTitleAndWhoAsked() throws Exception {
    PluginUnderTest directory = kit.start(new DirectoryPlugin(), "{\"titles\": {\"Ada\": \"Countess\"}}")
        .withCaller("GreeterPlugin");

    var answer = directory.call(Action.READ, "title", Request.builder().parameter("name", "Ada").build()).valueJson();

    assertEquals("Countess", answer.get("title").asText());
    assertEquals("GreeterPlugin", answer.get("asked_by").asText());
  }

  @Test
  void anUnknownNameIsNotFound() {
    PluginUnderTest directory = kit.start(new DirectoryPlugin(), "{\"titles\": {}}");

    PluginCallException e = assertThrows(PluginCallException.class,
        () -> directory.call(Action.READ, "title", Request.builder().parameter("name", "Bob").build()));
    assertEquals(StatusCode.NOT_FOUND, e.code());
    assertEquals("no title for 'Bob'", e.description());
  }
}
