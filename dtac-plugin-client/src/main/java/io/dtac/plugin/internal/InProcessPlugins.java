package io.dtac.plugin.internal;

import io.dtac.plugin.PluginBase;
import io.grpc.BindableService;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Internal, not API (no compatibility promise): the plugin host's parts that the test kit
 * ({@code io.dtac:dtac-testing}) needs to serve a plugin in process, without {@code PluginHost}'s
 * sockets, environment checks and {@code System.exit}. The implementation lives in {@code
 * io.dtac.plugin}, which installs it when this class first needs it, so the plugin author's API
 * does not grow.
 */
public final class InProcessPlugins {
  /** What {@code io.dtac.plugin} provides; installed once. */
  public interface Access {
    /** The real {@code plugin.PluginService} for {@code plugin}. */
    BindableService service(PluginBase plugin, Executor worker);

    /** What the host does on shutdown: closes the plugin's broker client and ends its log stream. */
    void shutdown(PluginBase plugin);
  }

  private static volatile Access access;

  private InProcessPlugins() {}

  /**
   * Installs the implementation; {@code io.dtac.plugin} calls it once.
   *
   * @throws IllegalStateException on a second call
   */
  public static synchronized void install(Access implementation) {
    if (access != null) {
      throw new IllegalStateException("InProcessPlugins is installed already");
    }
    access = Objects.requireNonNull(implementation, "implementation");
  }

  /**
   * The service the plugin host serves for {@code plugin}: Register, Call and LoggingStream with
   * the SDK's own dispatch, status mapping and call context. Register and blocking endpoints run
   * on {@code worker}, non-blocking ones on the thread the call arrives on.
   */
  public static BindableService service(PluginBase plugin, Executor worker) {
    return access().service(Objects.requireNonNull(plugin, "plugin"), Objects.requireNonNull(worker, "worker"));
  }

  /** Releases {@code plugin}'s broker client and ends its log stream, as the host does on stop. */
  public static void shutdown(PluginBase plugin) {
    access().shutdown(Objects.requireNonNull(plugin, "plugin"));
  }

  private static Access access() {
    Access a = access;
    if (a == null) {
      try {
        // Its static initializer installs the implementation.
        Class.forName("io.dtac.plugin.InProcessAccess", true, InProcessPlugins.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("io.dtac.plugin.InProcessAccess is missing", e);
      }
      a = access;
    }
    return a;
  }
}
