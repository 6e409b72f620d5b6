package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import io.grpc.Context;
import java.util.Objects;

/**
 * Who is calling the broker, carried in the gRPC {@link Context} of the call: a plugin, put
 * there by the authentication interceptor ({@link #withCaller}) from what it verified, never
 * from anything the request claims; or the host application, marked by {@code PluginBroker.call}
 * itself ({@link #asHost}). Whether a caller is the host is that mark, never its name. A context
 * with neither has no identity ({@link #current()} is null) and its calls are refused.
 *
 * <p>Immutable.
 */
public final class CallerIdentity {
  /** The name shown in audit records for calls refused before a caller was established. */
  public static final String UNAUTHENTICATED = "unauthenticated";

  static final Context.Key<CallerIdentity> CALLER = Context.key("caller identity");

  private static final CallerIdentity THE_HOST = new CallerIdentity(Protocol.HOST_CALLER, true);

  private final String name;
  private final boolean host;

  private CallerIdentity(String name, boolean host) {
    this.name = name;
    this.host = host;
  }

  /** The identity of the current call, or null when nobody established one: refuse the call. */
  public static CallerIdentity current() {
    return CALLER.get();
  }

  /** A context in which {@link #current()} is plugin {@code pluginName}. */
  public static Context withCaller(Context context, String pluginName) {
    return context.withValue(CALLER, plugin(pluginName));
  }

  /**
   * A context in which {@link #current()} is the host application: for calls the host makes
   * through {@code PluginBroker.call}, which no plugin can reach.
   */
  public static Context asHost(Context context) {
    return context.withValue(CALLER, THE_HOST);
  }

  /** The identity of plugin {@code pluginName} (not the host, whatever the name). */
  static CallerIdentity plugin(String pluginName) {
    return new CallerIdentity(Objects.requireNonNull(pluginName, "pluginName"), false);
  }

  /** The host's identity. */
  static CallerIdentity host() {
    return THE_HOST;
  }

  /** Whether {@code key} is one of the broker's metadata keys ({@value Protocol#RESERVED_PREFIX}*, any case). */
  public static boolean isReservedMetadataKey(String key) {
    return key.regionMatches(true, 0, Protocol.RESERVED_PREFIX, 0, Protocol.RESERVED_PREFIX.length());
  }

  /** The caller's name: a plugin's name, or {@value Protocol#HOST_CALLER}. */
  public String name() {
    return name;
  }

  /** Whether the host application makes this call (then the access policy does not apply). */
  public boolean isHost() {
    return host;
  }

  @Override
  public String toString() {
    return host ? "the host" : "plugin '" + name + "'";
  }
}
