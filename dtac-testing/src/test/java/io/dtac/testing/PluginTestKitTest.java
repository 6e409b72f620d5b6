package io.dtac.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.StatusCode;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** The kit as a JUnit 5 extension: what it closes, and when. The sample classes run through the launcher. */
class PluginTestKitTest {
  static final List<PluginUnderTest> started = new CopyOnWriteArrayList<>();
  private static volatile boolean launching;

  /** The sample classes run only through {@link #run}, not on their own. */
  static boolean launched() {
    return launching;
  }

  @BeforeEach
  void forget() {
    started.clear();
  }

  /** On an instance field: every test gets a fresh kit, closed after it. */
  @EnabledIf("io.dtac.testing.PluginTestKitTest#launched")
  static class PerTest {
    @RegisterExtension final PluginTestKit kit = new PluginTestKit();

    @Test
    void first() {
      started.add(kit.start(new TestPlugins.Echo()));
      kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.text("hi"));
    }

    @Test
    void second() {
      started.add(kit.start(new TestPlugins.Echo()));
    }
  }

  /** On a static field: one kit for the class, closed after all its tests. */
  @EnabledIf("io.dtac.testing.PluginTestKitTest#launched")
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  static class PerClass {
    @RegisterExtension static final PluginTestKit kit = new PluginTestKit();

    @Test
    @Order(1)
    void starts() {
      started.add(kit.start(new TestPlugins.Echo()));
      kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.text("hi"));
    }

    @Test
    @Order(2)
    void theNextTestStillHasThePluginAndTheStub() throws Exception {
      assertEquals("fast", started.get(0).call(Action.READ, "fast", null).valueAsString());
      kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.text("again"));
    }
  }

  /** An instance field of a test instance shared by the class: JUnit gives it the class's lifecycle. */
  @EnabledIf("io.dtac.testing.PluginTestKitTest#launched")
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  static class SharedInstance {
    @RegisterExtension final PluginTestKit kit = new PluginTestKit();

    @Test
    @Order(1)
    void one() {
      started.add(kit.start(new TestPlugins.Echo()));
    }

    @Test
    @Order(2)
    void two() throws Exception {
      assertEquals("fast", started.get(0).call(Action.READ, "fast", null).valueAsString());
    }
  }

  private static TestExecutionSummary run(Class<?> testClass) {
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    launching = true;
    try {
      LauncherFactory.create().execute(
          LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass)).build(), listener);
    } finally {
      launching = false;
    }
    return listener.getSummary();
  }

  private static void assertAllPassed(TestExecutionSummary summary, long tests) {
    String failures = summary.getFailures().stream()
        .map(f -> f.getTestIdentifier().getDisplayName() + ": " + f.getException())
        .collect(Collectors.joining("; "));
    assertEquals(0, summary.getTotalFailureCount(), failures);
    assertEquals(tests, summary.getTestsSucceededCount());
  }

  /** The kit closed: it stopped the plugin and forgot it, as a broker forgets an unloaded plugin. */
  private static void assertStopped(PluginUnderTest plugin) {
    PluginCallException e = assertThrows(PluginCallException.class, () -> plugin.call(Action.READ, "fast", null));
    assertEquals(StatusCode.NOT_FOUND, e.code());
    assertEquals("plugin 'EchoPlugin' not found; loaded: (none)", e.description());
  }

  /** The kit's worker threads are gone: each plugin's endpoint threads end when it stops. */
  static void assertNoKitThreads() {
    List<String> left = Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith(ServedPlugin.THREAD_PREFIX))
        .collect(Collectors.toList());
    assertEquals(List.of(), left, "threads the kit started are still alive");
  }

  @Test
  void onAnInstanceFieldItClosesEverythingAfterEachTest() {
    assertAllPassed(run(PerTest.class), 2);
    assertEquals(2, started.size());
    started.forEach(PluginTestKitTest::assertStopped);
    assertNoKitThreads();
  }

  @Test
  void onAStaticFieldItClosesEverythingAfterAllTests() {
    assertAllPassed(run(PerClass.class), 2);
    assertEquals(1, started.size());
    assertStopped(started.get(0));
    assertNoKitThreads();
  }

  @Test
  void withASharedTestInstanceItClosesAfterAllTests() {
    assertAllPassed(run(SharedInstance.class), 2);
    assertEquals(1, started.size());
    assertStopped(started.get(0));
    assertNoKitThreads();
  }

  @Test
  @SuppressWarnings("try") // closing inside the try is the point: close() is idempotent and the kit reusable
  void withoutJUnitItIsAnAutoCloseableWhoseCloseIsIdempotentAndLeavesItUsable() throws Exception {
    PluginUnderTest first;
    try (PluginTestKit kit = new PluginTestKit()) {
      first = kit.start(new TestPlugins.Echo());
      kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.text("hi"));
      FakeBroker before = kit.broker();
      kit.close();
      kit.close();
      assertStopped(first);
      assertEquals(List.of(), before.calls());
      PluginUnderTest again = kit.start(new TestPlugins.Echo());
      assertEquals("fast", again.call(Action.READ, "fast", Request.empty()).valueAsString());
      PluginCallException gone = assertThrows(PluginCallException.class, () -> again.call(Action.CREATE, "forward",
          Request.json(java.util.Map.of("plugin", "HelloPlugin", "path", "hello"))));
      assertEquals(StatusCode.NOT_FOUND, gone.code(), "the stubs went with the close: " + gone.getMessage());
    }
    assertNoKitThreads();
  }
}
