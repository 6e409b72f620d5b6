package io.dtac.plugin;

import io.dtac.plugin.internal.InProcessPlugins;
import io.grpc.BindableService;
import java.util.concurrent.Executor;

/** Gives {@link InProcessPlugins} (internal) the package-private parts it needs. */
final class InProcessAccess implements InProcessPlugins.Access {
  static {
    InProcessPlugins.install(new InProcessAccess());
  }

  private InProcessAccess() {}

  @Override
  public BindableService service(PluginBase plugin, Executor worker) {
    return new PluginServiceHandler(plugin, worker);
  }

  @Override
  public void shutdown(PluginBase plugin) {
    plugin.shutdown();
  }
}
