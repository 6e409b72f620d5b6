package io.dtac.core;

/**
 * The names the DTAC plugin protocol and its broker feature use on the wire and in a plugin's
 * environment: one home for each (see the README's "The protocol").
 */
public final class Protocol {
  private Protocol() {}

  /** "true" in every plugin process the agent starts; without it a plugin refuses to run. */
  public static final String ENV_PLUGINS = "DTAC_PLUGINS";
  /** "true": the plugin exits when its stdin (a pipe only the agent holds) closes. */
  public static final String ENV_WATCH_STDIN = "DTAC_WATCH_STDIN";
  /** The agent's process id: the only process a plugin accepts calls from and as its broker. */
  public static final String ENV_AGENT_PID = "DTAC_AGENT_PID";
  /** The plugin's TLS certificate (PEM, inline or a path), per the DTAC protocol. */
  public static final String ENV_TLS_CERT = "DTAC_TLS_CERT";
  /** The plugin's TLS private key (PEM, inline or a path), per the DTAC protocol. */
  public static final String ENV_TLS_KEY = "DTAC_TLS_KEY";
  /** The agent's own certificate (PEM): the one a plugin accepts as client and as broker. */
  public static final String ENV_TLS_CA = "DTAC_TLS_CA";
  /** A private directory the agent offers for the plugin's Unix domain socket. */
  public static final String ENV_UNIX_SOCKET_DIR = "DTAC_UNIX_SOCKET_DIR";
  /** "true" where the broker credential is the first line of the plugin's stdin. */
  public static final String ENV_CREDENTIAL_ON_STDIN = "DTAC_BROKER_CREDENTIAL_STDIN";
  /** The JVM options the example and packaged plugin launchers use instead of their defaults. */
  public static final String ENV_PLUGIN_JAVA_OPTS = "DTAC_PLUGIN_JAVA_OPTS";

  /** The broker's socket in the Unix socket directory. */
  public static final String BROKER_SOCKET = "broker.sock";
  /**
   * A plugin's socket in the Unix socket directory.
   *
   * @param pid the plugin process's id
   * @return "p" + {@code pid} + ".sock", e.g. {@code p4242.sock}
   */
  public static String pluginSocket(long pid) {
    return "p" + pid + ".sock";
  }
  /** The prefix of a broker address on a Unix socket. */
  public static final String UNIX_ADDRESS_PREFIX = "unix:";

  /** Request metadata and headers under this prefix are the broker's; callers cannot set them. */
  public static final String RESERVED_PREFIX = "dtac-";
  /** Request metadata: who called (a plugin name, or {@link #HOST_CALLER}). */
  public static final String CALLER_METADATA = "dtac-caller";
  /** Request metadata: the call chain, names joined by {@link #CHAIN_SEPARATOR}. */
  public static final String CALL_CHAIN_METADATA = "dtac-call-chain";
  /** Request metadata and header: the broker's token for the call being served. */
  public static final String CALL_TOKEN = "dtac-call-token";
  /** Header: the broker credential, where the agent identifies callers by one. */
  public static final String CREDENTIAL_HEADER = "dtac-broker-credential";
  /** What joins the names of a call chain. */
  public static final String CHAIN_SEPARATOR = ">";
  /** The caller name of calls the host application makes. */
  public static final String HOST_CALLER = "agent";

  /**
   * gRPC header of the W3C Trace Context (with {@link #TRACE_STATE}): the broker reads it from a
   * plugin's {@code CallPlugin} and sets it on the call to the target; plugins pass it on.
   */
  public static final String TRACE_PARENT = "traceparent";
  /** gRPC header of the W3C Trace Context's vendor-specific part; passed on like {@link #TRACE_PARENT}. */
  public static final String TRACE_STATE = "tracestate";

  /**
   * How the description of a call refused by the broker's rate limits begins (status
   * RESOURCE_EXHAUSTED); it ends with {@code "; Retry-After: SECONDS"}.
   */
  public static final String RATE_LIMIT_REFUSAL = "rate limit exceeded: ";
}
