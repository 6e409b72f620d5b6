package io.dtac.examples.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.StatusCode;
import io.dtac.plugin.LogLevel;
import io.dtac.testing.PluginLogRecord;
import io.dtac.testing.PluginTestKit;
import io.dtac.testing.PluginUnderTest;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** HelloPlugin in process, with the test kit. */
class HelloPluginTest {
  @RegisterExtension final PluginTestKit kit = new PluginTestKit();

  @Test
  void helloAnswersTheDefaultMessage() throws Exception {
    PluginUnderTest hello = kit.start(new HelloPlugin());
    assertEquals(HelloPlugin.DEFAULT_MESSAGE,
        hello.call(Action.READ, "hello", Request.empty()).valueJson().get("message").asText());
  }

  @Test
  void theConfiguredMessageIsAnsweredAndLogged() throws Exception {
    PluginUnderTest hello = kit.start(new HelloPlugin(), "{\"message\": \"Hi there\"}");
    assertEquals("Hi there", hello.call(Action.READ, "hello", null).valueJson().get("message").asText());
    assertTrue(hello.logs().contains(
        new PluginLogRecord(LogLevel.INFO, "hello plugin registered", Map.of("message", "Hi there"))), hello.logs().toString());
  }

  @Test
  void aMessageThatIsNoTextIsIgnored() throws Exception {
    PluginUnderTest hello = kit.start(new HelloPlugin(), "{\"message\": 5}");
    assertEquals(HelloPlugin.DEFAULT_MESSAGE, hello.call(Action.READ, "hello", null).valueJson().get("message").asText());
  }

  @Test
  void helloIsReadOnly() {
    PluginCallException e = org.junit.jupiter.api.Assertions.assertThrows(PluginCallException.class,
        () -> kit.start(new HelloPlugin()).call(Action.WRITE, "hello", null));
    assertEquals(StatusCode.NOT_FOUND, e.code());
    assertEquals("plugin 'HelloPlugin' has no endpoint 'write:hello'; endpoints: read:hello", e.description());
  }
}
