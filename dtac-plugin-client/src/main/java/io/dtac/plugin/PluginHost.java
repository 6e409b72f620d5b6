package io.dtac.plugin;

import io.dtac.core.Protocol;
import io.dtac.plugin.internal.TraceContext;
import io.dtac.plugin.internal.AgentPeer;
import io.dtac.plugin.internal.BrokerCredential;
import io.dtac.plugin.internal.ConnectLine;
import io.dtac.plugin.internal.ParentWatcher;
import io.dtac.plugin.internal.TlsEnvironment;
import io.dtac.plugin.internal.UnixSockets;
import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a plugin as a process the DTAC agent launches: the plugin side of the handshake.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *   PluginHost.serve(new HelloPlugin());
 * }
 * }</pre>
 *
 * <p>{@link #serve(PluginBase)} checks that the agent started the process ({@code
 * DTAC_PLUGINS=true}), serves {@code plugin.PluginService} and the gRPC health service on an
 * ephemeral loopback port, or on a Unix domain socket in the directory the agent offers in {@code
 * DTAC_UNIX_SOCKET_DIR} (over TLS when {@code DTAC_TLS_CERT} and {@code DTAC_TLS_KEY} hold a
 * PEM certificate and key, or paths to them; accepting exactly the agent's client certificate when
 * {@code DTAC_TLS_CA} holds it), prints the {@code CONNECT{{...}}} line, and runs
 * until the agent stops it (SIGTERM) or the agent goes away (its process ends, or, when the agent
 * sets {@code DTAC_WATCH_STDIN=true}, the plugin's stdin closes). Then it exits the JVM.
 */
public final class PluginHost {
  private static final long STOP_GRACE_MILLIS = 2_000;

  private PluginHost() {}

  /**
   * Serves {@code plugin} until the agent stops it, then exits the JVM; never returns. Exits with
   * code 1 when not started by the agent ({@value io.dtac.core.Protocol#ENV_PLUGINS} is not
   * "true"), 2 when the server cannot start, 0 after a normal stop. Call it from {@code main},
   * once; to run a plugin inside a test, use {@code dtac-testing}'s {@code PluginTestKit}.
   *
   * @param plugin the plugin to serve, with its endpoints declared
   */
  public static void serve(PluginBase plugin) {
    int code = run(plugin, System.getenv(), System.out, System.err);
    System.exit(code);
  }

  /** Runs the host and returns the process exit code. Blocks until the plugin is stopped. */
  static int run(PluginBase plugin, Map<String, String> env, PrintStream out, PrintStream err) {
    if (!"true".equalsIgnoreCase(env.getOrDefault(Protocol.ENV_PLUGINS, ""))) {
      err.println(
          "This is a DTAC plugin ("
              + plugin.name()
              + "): it must be loaded by the DTAC agent, which sets "
              + Protocol.ENV_PLUGINS
              + "=true. Exiting.");
      return 1;
    }
    if ("true".equalsIgnoreCase(env.getOrDefault(Protocol.ENV_CREDENTIAL_ON_STDIN, ""))) {
      try {
        BrokerCredential.readFrom(System.in);
      } catch (IOException e) {
        err.println("plugin " + plugin.name() + " cannot read its broker credential: " + e.getMessage());
        return 2;
      }
    }
    AgentPeer agent = AgentPeer.of(env);
    ServerInterceptor agentOnly = agent.agentOnly(plugin.name());
    Server server;
    boolean tls;
    ExecutorService worker = boundedWorker(plugin.name());
    try {
      ServerCredentials transport = credentials(env);
      tls = !(transport instanceof InsecureServerCredentials);
      ServerCredentials credentials = agent.serverCredentials(transport);
      BindableService service = TraceContext.capturing(new PluginServiceHandler(plugin, worker));
      server =
          UnixSockets.startServer(
              env, credentials, err, agentOnly, service, new HealthStatusManager().getHealthService());
      if (server == null) {
        server = startOnLoopback(credentials, agentOnly, service);
      }
    } catch (IOException | IllegalArgumentException e) {
      worker.shutdownNow();
      err.println("plugin " + plugin.name() + " cannot start its gRPC server: " + e.getMessage());
      return 2;
    }
    Server running = server;
    AtomicBoolean stopped = new AtomicBoolean();
    Runnable stop =
        () -> {
          if (stopped.compareAndSet(false, true)) {
            running.shutdown();
            try {
              if (!running.awaitTermination(STOP_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                running.shutdownNow();
              }
            } catch (InterruptedException e) {
              running.shutdownNow();
              Thread.currentThread().interrupt();
            }
            worker.shutdownNow();
            plugin.shutdown();
          }
        };
    Runtime.getRuntime().addShutdownHook(new Thread(stop, "dtac-plugin-stop"));

    out.println(
        ConnectLine.format(
            plugin.name(),
            plugin.rootPath(),
            running.getListenSockets().get(0),
            Map.of("tls", Boolean.toString(tls))));
    out.flush();

    ParentWatcher.watch(
        "true".equalsIgnoreCase(env.getOrDefault(Protocol.ENV_WATCH_STDIN, "")),
        reason -> {
          System.err.println("plugin " + plugin.name() + " stopping: " + reason);
          System.exit(0);
        });
    try {
      running.awaitTermination();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stop.run();
    }
    return 0;
  }

  /**
   * At most this many blocking endpoint calls (and Register) run at once in one plugin process;
   * a thread is made only when no thread is idle, and ends after 30 s idle (a plugin answering one
   * call at a time keeps one endpoint thread).
   */
  public static final int MAX_ENDPOINT_THREADS = 64;
  /** At most this many more wait for a thread; beyond them a call fails at once with RESOURCE_EXHAUSTED. */
  public static final int MAX_QUEUED_CALLS = 256;

  /** The bounded pool blocking endpoints run on; see {@link #MAX_ENDPOINT_THREADS}. */
  static ThreadPoolExecutor boundedWorker(String pluginName) {
    return io.dtac.plugin.internal.EndpointPool.create(
        MAX_ENDPOINT_THREADS, MAX_QUEUED_CALLS, 30, workerThreads(pluginName));
  }

  /** Daemon threads named for the plugin, for Register and blocking endpoints. */
  private static ThreadFactory workerThreads(String pluginName) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "dtac-endpoint-" + pluginName + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  private static Server startOnLoopback(
      ServerCredentials credentials, ServerInterceptor agentOnly, BindableService service)
      throws IOException {
    // Grpc.newServerBuilderForPort binds every interface; a plugin must only be reachable
    // from this host, so bind the loopback address explicitly.
    return NettyServerBuilder.forAddress(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), credentials)
        // The service hands blocking work to its worker itself (see PluginServiceHandler).
        .directExecutor()
        .addService(service)
        .addService(new HealthStatusManager().getHealthService())
        .intercept(agentOnly)
        .build()
        .start();
  }

  private static ServerCredentials credentials(Map<String, String> env) throws IOException {
    return TlsEnvironment.serverCredentials(env);
  }
}
