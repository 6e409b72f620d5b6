package io.dtac.plugin.internal;

import io.grpc.ManagedChannelBuilder;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * Internal, not API (no compatibility promise): lets the test kit ({@code io.dtac:dtac-testing})
 * give a plugin under test a broker address that its real {@code BrokerClient} reaches in process.
 *
 * <p>Only addresses starting with {@value #PREFIX} can be routed, so no route can ever take over
 * a real broker's "host:port" or "unix:PATH". An address without a route is dialled as usual
 * (an unrouted {@value #PREFIX} address then fails with UNAVAILABLE on the first call).
 * Thread-safe.
 */
public final class BrokerChannels {
  /** The prefix of every address that can be routed. */
  public static final String PREFIX = "inprocess:";

  private static final ConcurrentMap<String, Supplier<? extends ManagedChannelBuilder<?>>> ROUTES =
      new ConcurrentHashMap<>();

  private BrokerChannels() {}

  /**
   * Routes {@code address} to the channels {@code channel} builds, until the returned handle runs.
   *
   * @throws IllegalArgumentException if the address does not start with {@value #PREFIX}
   * @throws IllegalStateException if the address is routed already
   */
  public static Runnable route(String address, Supplier<? extends ManagedChannelBuilder<?>> channel) {
    Objects.requireNonNull(channel, "channel");
    if (address == null || !address.startsWith(PREFIX)) {
      throw new IllegalArgumentException("only '" + PREFIX + "' addresses can be routed, not '" + address + "'");
    }
    if (ROUTES.putIfAbsent(address, channel) != null) {
      throw new IllegalStateException("broker address '" + address + "' is routed already");
    }
    return () -> ROUTES.remove(address, channel);
  }

  /** A builder for the channel routed at {@code address}, if any. */
  public static Optional<ManagedChannelBuilder<?>> routed(String address) {
    Supplier<? extends ManagedChannelBuilder<?>> channel = ROUTES.get(address);
    return channel == null ? Optional.empty() : Optional.of(channel.get());
  }
}
