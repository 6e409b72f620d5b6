package io.dtac.broker.server.internal;

import io.grpc.Context;

/**
 * Who is calling the broker, as established by {@link CallerAuthInterceptor} from the credential
 * the agent issued at launch, never from anything the request claims. Travels in the gRPC
 * {@link Context} of the call.
 */
public final class CallerIdentity {
  /** The name used for calls the host application makes through {@code PluginBroker.call}. */
  public static final String HOST = "agent";

  /** The metadata key through which a target plugin learns its caller; set only by the broker. */
  public static final String CALLER_METADATA = "dtac-caller";

  /** Metadata keys with this prefix are the broker's; callers cannot set them. */
  public static final String RESERVED_PREFIX = "dtac-";

  static final Context.Key<String> CALLER = Context.key("dtac-caller");

  private CallerIdentity() {}

  /** The authenticated caller of the current call: a plugin name, or {@link #HOST}. */
  public static String current() {
    String caller = CALLER.get();
    return caller == null ? HOST : caller;
  }

  /** A context in which {@link #current()} is {@code pluginName}. */
  public static Context withCaller(Context context, String pluginName) {
    return context.withValue(CALLER, pluginName);
  }
}
