package io.dtac.bench.plugin;

import io.grpc.BindableService;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The target's servers for the direct one-hop scenarios: one with grpc-java's default settings
 * (plaintext TCP on loopback), one with the tuned transport. Closed by the target's shutdown hook.
 */
final class DirectServers implements AutoCloseable {
  private final Server defaults;
  private final TunedTransport.Listener tuned;

  private DirectServers(Server defaults, TunedTransport.Listener tuned) {
    this.defaults = defaults;
    this.tuned = tuned;
  }

  static DirectServers start(BindableService service) throws IOException {
    Server defaults =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                InsecureServerCredentials.create())
            .addService(service)
            .build()
            .start();
    return new DirectServers(defaults, TunedTransport.listen(service));
  }

  String defaultAddress() {
    return "127.0.0.1:" + ((InetSocketAddress) defaults.getListenSockets().get(0)).getPort();
  }

  String tunedAddress() {
    return tuned.address();
  }

  @Override
  public void close() {
    defaults.shutdownNow();
    tuned.close();
    try {
      defaults.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
