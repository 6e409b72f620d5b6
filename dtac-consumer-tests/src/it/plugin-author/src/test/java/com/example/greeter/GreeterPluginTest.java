package com.example.greeter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.StatusCode;
import io.dtac.plugin.LogLevel;
import io.dtac.testing.PluginTestKit;
import io.dtac.testing.PluginUnderTest;
import io.dtac.testing.RecordedCall;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The README's Test step: GreeterPlugin in process, DirectoryPlugin stubbed on the kit's broker. */
class GreeterPluginTest {
  @RegisterExtension final PluginTestKit kit = new PluginTestKit();

  private static final Request ADA = Request.builder().parameter("name", "Ada").build();

  @Test
  void greetsByTheTitleTheDirectoryAnswers() throws Exception {
    kit.broker().stub("DirectoryPlugin", Action.READ, "title")
        .answer(request -> Response.json(Map.of("title", "Countess", "asked_by", request.caller().orElse("?"))));
    PluginUnderTest greeter = kit.start(new GreeterPlugin());

    Response r = greeter.call(Action.READ, "greet", ADA);

    assertEquals("Hello, Countess Ada", r.valueJson().get("greeting").asText());
    assertEquals("GreeterPlugin", r.valueJson().get("directory_saw_caller").asText());
    RecordedCall call = kit.broker().calls().get(0);
    assertEquals("DirectoryPlugin", call.plugin());
    assertEquals("title", call.path());
    assertEquals(Action.READ, call.action());
    assertEquals("Ada", call.request().parameter("name").orElseThrow());
    assertEquals(List.of("agent", "GreeterPlugin", "DirectoryPlugin"), call.callChain());
  }

  @Test
  void greetsWithoutATitleWhenTheDirectoryIsDown() throws Exception {
    kit.broker().stub("DirectoryPlugin", Action.READ, "title").fail(StatusCode.UNAVAILABLE, "down");
    PluginUnderTest greeter = kit.start(new GreeterPlugin());

    assertEquals("Hello, Ada", greeter.call(Action.READ, "greet", ADA).valueJson().get("greeting").asText());
    assertTrue(greeter.logs().stream().anyMatch(l -> l.level() == LogLevel.WARNING
        && l.fields().getOrDefault("error", "").equals("UNAVAILABLE: down")), greeter.logs().toString());
  }

  @Test
  void aRequestWithoutANameIsInvalid() {
    PluginUnderTest greeter = kit.start(new GreeterPlugin());

    PluginCallException e = assertThrows(PluginCallException.class,
        () -> greeter.call(Action.READ, "greet", Request.empty()));
    assertEquals(StatusCode.INVALID_ARGUMENT, e.code());
    assertEquals("name is missing: add ?name=", e.description());
    assertTrue(kit.broker().calls().isEmpty(), "it called the directory: " + kit.broker().calls());
  }

  @Test
  void greetAsyncAnswersWhenTheDirectoryHas() throws Exception {
    kit.broker().stub("DirectoryPlugin", Action.READ, "title").answer(Response.json(Map.of("title", "Dr.")));
    PluginUnderTest greeter = kit.start(new GreeterPlugin());

    Response r = greeter.callAsync(Action.READ, "greet_async", ADA).get(10, TimeUnit.SECONDS);

    assertEquals("Hello, Dr. Ada", r.valueJson().get("greeting").asText());
  }

  @Test
  void greetAsyncPassesTheDirectorysFailureOn() {
    kit.broker().stub("DirectoryPlugin", Action.READ, "title").fail(StatusCode.NOT_FOUND, "no title for 'Ada'");
    PluginUnderTest greeter = kit.start(new GreeterPlugin());

    ExecutionException e = assertThrows(ExecutionException.class,
        () -> greeter.callAsync(Action.READ, "greet_async", ADA).get(10, TimeUnit.SECONDS));
    PluginCallException failure = assertInstanceOf(PluginCallException.class, e.getCause());
    assertEquals(StatusCode.NOT_FOUND, failure.code());
    assertEquals("no title for 'Ada'", failure.description());
  }
}
