package io.dtac.testing;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginBrokerBuilder;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.core.internal.Protos;
import io.dtac.plugin.PluginBase;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The test kit for DTAC plugins and hosts, as a JUnit 5 extension that closes everything it
 * started, like grpc-java's {@code GrpcCleanupRule}.
 *
 * <pre>{@code
 * @RegisterExtension final PluginTestKit kit = new PluginTestKit();
 *
 * @Test
 * void calculatesViaHello() throws Exception {
 *   kit.broker().stub("HelloPlugin", Action.READ, "hello").answer(Response.json(Map.of("message", "hi")));
 *   PluginUnderTest calculator = kit.start(new CalculatorPlugin());
 *   Response r = calculator.call(Action.CREATE, "calculate_via_hello",
 *       Request.json(Map.of("operation", "add", "a", 5, "b", 3)));
 *   assertEquals(8, r.valueJson().get("result").asInt());
 *   assertEquals("CalculatorPlugin", kit.broker().calls().get(0).caller());
 * }
 * }</pre>
 *
 * <p>Two modes. <b>In process</b> ({@link #start}): the plugin runs in the test's JVM, served by
 * the SDK's own plugin service over gRPC's in-process transport, registered with its config and
 * the address of the kit's {@link FakeBroker}, which its real {@code BrokerClient} reaches; the
 * other plugins it calls are {@linkplain FakeBroker#stub stubs} (or other plugins started in the
 * kit). Starting takes milliseconds. <b>Integration</b> ({@link #startBroker(Path)}): a real
 * {@code PluginBroker} launches real plugin files as OS processes.
 *
 * <p>Cleanup: registered on an instance field, the kit closes after each test; on a static
 * field, or an instance field of a {@code @TestInstance(PER_CLASS)} class (JUnit then gives it the
 * class's lifecycle), after all tests of the class, keeping its plugins, stubs and recorded calls
 * across them. Without JUnit, use it in try-with-resources. Closing stops every plugin it started (their
 * worker threads end; calls in flight are cancelled), every stub, and every broker it started or
 * manages, checking that their plugin processes are gone. gRPC's own shared daemon threads (its
 * timer, Netty's event loops in integration mode) belong to gRPC, which ends them about a second
 * after their last use.
 *
 * <p>Thread-safe; its methods may be called from any thread, endpoints and stubs included.
 */
public final class PluginTestKit implements BeforeAllCallback, AfterEachCallback, AfterAllCallback, AutoCloseable {
  private final Router router = new Router();
  private FakeBroker broker = new FakeBroker(router);
  private final List<ServedPlugin> plugins = new ArrayList<>();
  private final List<ManagedBroker> brokers = new ArrayList<>();
  private Class<?> scope;

  /** A kit with nothing started. */
  public PluginTestKit() {}

  /**
   * Starts {@code plugin} in process with an empty configuration ({@code {}}); see {@link
   * #start(PluginBase, String)}.
   *
   * @param plugin the plugin to start, a new instance
   * @return the started plugin, to call
   */
  public PluginUnderTest start(PluginBase plugin) {
    return start(plugin, "{}");
  }

  /**
   * Starts {@code plugin} in process as the agent would: opens its LoggingStream, then sends
   * Register with {@code configJson}, {@code default_secure} true and the address of the kit's
   * {@link #broker() fake broker}, so that its {@code initializeBrokerClient} and {@code
   * onRegister} run (on one of its worker threads) before this returns. Its {@code callPlugin}
   * calls then reach the fake broker as this plugin.
   *
   * @param plugin the plugin to start, a new instance
   * @param configJson the plugin's configuration, a JSON object as the agent sends it
   * @return the started plugin, to call
   * @throws IllegalStateException if the plugin refused to register (the message says why; the
   *     cause is a {@code PluginCallException} with the status: INVALID_ARGUMENT when the config is
   *     not JSON, FAILED_PRECONDITION when {@code onRegister} threw), or a plugin of that name is
   *     started or stubbed already in this kit
   * @throws NullPointerException if an argument is null
   */
  public synchronized PluginUnderTest start(PluginBase plugin, String configJson) {
    Objects.requireNonNull(plugin, "plugin");
    Objects.requireNonNull(configJson, "configJson");
    if (router.get(plugin.name()) != null) {
      throw new IllegalStateException("a plugin named '" + plugin.name() + "' is started or stubbed already in"
          + " this test kit; plugin names are unique in a broker");
    }
    ServedPlugin served = ServedPlugin.serve(plugin);
    try {
      router.add(served);
      FakeBroker b = broker;
      String address = served.attachBroker(FakeAgentService.forCaller(plugin.name(), router, b::record));
      served.openLogs();
      served.register(configJson, address);
    } catch (StatusRuntimeException e) {
      served.close();
      router.remove(served);
      throw new IllegalStateException("plugin " + plugin.name() + " failed to register: " + e.getStatus().getCode()
          + ": " + e.getStatus().getDescription(), Protos.toException(e));
    } catch (RuntimeException e) {
      served.close();
      router.remove(served);
      throw e;
    }
    plugins.add(served);
    return new PluginUnderTest(served, router, io.dtac.core.Protocol.HOST_CALLER, null);
  }

  /**
   * The fake broker of the plugins this kit starts: stub the other plugins here, and read what
   * the plugins sent. One per kit; it is emptied (stubs stopped, calls forgotten) when the kit
   * closes.
   *
   * @return the kit's fake broker; after {@link #close()}, a new, empty one
   */
  public synchronized FakeBroker broker() {
    return broker;
  }

  /**
   * Starts a real {@code PluginBroker} over the {@code *.plugin} files of {@code pluginDirectory},
   * with the broker's defaults; see {@link #startBroker(PluginBrokerBuilder)}.
   *
   * @param pluginDirectory where the plugin files are, e.g. a build's {@code target/plugins}
   * @return the started broker, every plugin RUNNING
   *
   * @throws IllegalArgumentException if the directory holds no {@code *.plugin} file (build the
   *     plugins first, e.g. with {@code mvn package})
   * @throws IOException if the directory cannot be read or the broker cannot bind
   */
  public PluginBroker startBroker(Path pluginDirectory) throws IOException {
    Objects.requireNonNull(pluginDirectory, "pluginDirectory");
    boolean any;
    try (Stream<Path> files = Files.list(pluginDirectory)) {
      any = files.anyMatch(f -> f.getFileName().toString().endsWith(".plugin"));
    }
    if (!any) {
      throw new IllegalArgumentException("no *.plugin file in " + pluginDirectory.toAbsolutePath()
          + "; build the plugins first (e.g. mvn package)");
    }
    return startBroker(PluginBroker.builder().pluginDirectory(pluginDirectory));
  }

  /**
   * Builds and starts a real broker from {@code builder} (to which it adds a state listener that
   * notes every plugin process), and returns it once every plugin is RUNNING, for host calls
   * ({@code call}, {@code callAsync}, {@code plugins()}). The kit closes it, and then checks that
   * every plugin process it ran and their children are gone (killing any that is not, and
   * failing with an {@link AssertionError}). Closing it earlier in the test is fine.
   *
   * @param builder the broker's configuration; not yet built
   * @return the started broker, every plugin RUNNING
   *
   * @throws IllegalStateException if a plugin did not reach RUNNING (the message names each one
   *     with its state and failure; the broker is closed then)
   * @throws IOException if the broker cannot bind or read its plugin directory
   */
  public PluginBroker startBroker(PluginBrokerBuilder builder) throws IOException {
    Objects.requireNonNull(builder, "builder");
    ManagedBroker managed = new ManagedBroker();
    builder.listener(managed::onStateChange);
    PluginBroker b = builder.build();
    managed.attach(b);
    synchronized (this) {
      brokers.add(managed);
    }
    try {
      b.start();
    } catch (IOException | RuntimeException e) {
      closeQuietly(managed, e);
      throw e;
    }
    List<PluginInfo> notRunning =
        b.plugins().stream().filter(p -> p.state() != PluginState.RUNNING).collect(Collectors.toList());
    if (!notRunning.isEmpty()) {
      IllegalStateException e = new IllegalStateException("plugins did not reach RUNNING: "
          + notRunning.stream().map(PluginInfo::toString).collect(Collectors.joining(", ")));
      closeQuietly(managed, e);
      throw e;
    }
    return b;
  }

  /**
   * Has the kit close {@code broker}, a broker the test built and started itself (for example
   * one whose plugins are expected to fail), and check that its plugin processes are gone, as for
   * {@link #startBroker(PluginBrokerBuilder)}. Processes the broker replaced before it closes
   * (restarts) are not checked: start through {@code startBroker} for that.
   *
   * @param broker a started broker
   * @return {@code broker}
   */
  public synchronized PluginBroker manage(PluginBroker broker) {
    Objects.requireNonNull(broker, "broker");
    ManagedBroker managed = new ManagedBroker();
    managed.attach(broker);
    brokers.add(managed);
    return broker;
  }

  private static void closeQuietly(ManagedBroker managed, Exception failure) {
    try {
      managed.close();
    } catch (RuntimeException | AssertionError e) {
      failure.addSuppressed(e);
    }
  }

  /**
   * Closes every broker the kit started or manages (checking their processes are gone), stops
   * every plugin it started and every stub, and empties the fake broker. Blocks until done; the
   * kit can be used again afterwards. Idempotent. If interrupted, it finishes and restores the
   * flag.
   *
   * @throws AssertionError if a plugin process outlived its broker (after closing everything else)
   */
  @Override
  public void close() {
    List<ManagedBroker> closingBrokers;
    List<ServedPlugin> closingPlugins;
    FakeBroker closingBroker;
    synchronized (this) {
      closingBrokers = new ArrayList<>(brokers);
      closingPlugins = new ArrayList<>(plugins);
      closingBroker = broker;
      brokers.clear();
      plugins.clear();
      broker = new FakeBroker(router);
    }
    Throwable failure = null;
    for (ManagedBroker m : closingBrokers) {
      try {
        m.close();
      } catch (RuntimeException | AssertionError e) {
        failure = add(failure, e);
      }
    }
    for (ServedPlugin p : closingPlugins) {
      try {
        p.close();
      } catch (RuntimeException e) {
        failure = add(failure, e);
      }
      router.remove(p);
    }
    closingBroker.close();
    if (failure instanceof RuntimeException) {
      throw (RuntimeException) failure;
    }
    if (failure != null) {
      throw (AssertionError) failure;
    }
  }

  private static Throwable add(Throwable first, Throwable next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }

  /** JUnit, for a static field (or a per-class test instance): the kit lives until all tests of the class have run. */
  @Override
  public synchronized void beforeAll(ExtensionContext context) {
    if (scope == null) {
      scope = context.getRequiredTestClass();
    }
  }

  /** JUnit: on an instance field, the kit closes after each test. */
  @Override
  public void afterEach(ExtensionContext context) {
    boolean classScoped;
    synchronized (this) {
      classScoped = scope != null;
    }
    if (!classScoped) {
      close();
    }
  }

  /** JUnit: a class-level kit closes after the class that registered it (not after its nested classes). */
  @Override
  public void afterAll(ExtensionContext context) {
    synchronized (this) {
      if (scope != context.getRequiredTestClass()) {
        return;
      }
      scope = null;
    }
    close();
  }
}
