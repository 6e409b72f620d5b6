package io.dtac.plugin;

import io.dtac.core.Action;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.PluginCallException;
import io.dtac.core.StatusCode;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.broker.api.LogField;
import io.dtac.broker.api.LogMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The base class of a plugin: its name, its root path, its endpoints, its log, and its way to
 * the other plugins through the agent's broker.
 *
 * <pre>{@code
 * public final class HelloPlugin extends PluginBase {
 *   public HelloPlugin() {
 *     super("HelloPlugin", "hello");
 *     endpoint(Action.READ, "hello", "says hello", req -> Response.json(Map.of("message", "hi")));
 *   }
 *   public static void main(String[] args) {
 *     PluginHost.serve(new HelloPlugin());
 *   }
 * }
 * }</pre>
 *
 * <p>Declare endpoints in the constructor. When the agent registers the plugin, the host calls
 * {@link #initializeBrokerClient(String)} with the broker's address (when the agent has a broker)
 * and then {@link #onRegister(JsonNode)} with the plugin's configuration. Endpoint handlers may
 * run concurrently.
 */
public abstract class PluginBase {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");

  private final String name;
  private final String rootPath;
  private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
  private final LogPump logs = new LogPump();
  private volatile BrokerClient broker;

  /**
   * Creates a plugin with no endpoints yet and no broker client.
   *
   * @param name the plugin's name, unique in the agent and case-sensitive, e.g. "HelloPlugin"
   * @param rootPath the path its endpoints live under, e.g. "hello" for /plugins/hello/...
   * @throws IllegalArgumentException if either holds characters other than letters, digits,
   *     '_', '.' or '-' (they travel in the handshake line, which uses ':' as a separator)
   */
  protected PluginBase(String name, String rootPath) {
    this.name = requireToken(name, "plugin name");
    this.rootPath = requireToken(rootPath, "root path");
  }

  private static String requireToken(String value, String what) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what + " '" + value + "' must be non-empty and use only letters, digits, '_', '.', '-'");
    }
    return value;
  }

  /**
   * The plugin's name, as it announces itself to the agent.
   *
   * @return the name given to the constructor, e.g. "HelloPlugin"
   */
  public final String name() {
    return name;
  }

  /**
   * The path the plugin's endpoints live under at the agent's REST gateway.
   *
   * @return the root path given to the constructor, e.g. "hello"
   */
  public final String rootPath() {
    return rootPath;
  }

  /**
   * Declares a synchronous endpoint. Call it from the constructor.
   *
   * @param action what it does
   * @param path its path relative to the root path, e.g. "hello"
   * @param description what it does, for people
   * @param handler its code; must be thread-safe
   * @throws IllegalArgumentException if the path is invalid or an endpoint with the same action
   *     and path exists
   * @throws NullPointerException if an argument is null
   */
  protected final void endpoint(
      Action action, String path, String description, EndpointHandler handler) {
    endpoint(Endpoint.builder(action, path).description(description).handler(handler).build());
  }

  /**
   * Declares an endpoint that answers asynchronously (see {@link AsyncEndpointHandler}). Call it
   * from the constructor.
   *
   * @param action what it does
   * @param path its path relative to the root path
   * @param description what it does, for people
   * @param handler its code; must be thread-safe and must not block
   * @throws IllegalArgumentException if the path is invalid or an endpoint with the same action
   *     and path exists
   * @throws NullPointerException if an argument is null
   */
  protected final void endpointAsync(
      Action action, String path, String description, AsyncEndpointHandler handler) {
    endpoint(Endpoint.builder(action, path).description(description).asyncHandler(handler).build());
  }

  /**
   * Declares an endpoint built with {@link Endpoint#builder}, for the options the other {@code
   * endpoint} methods do not take (security, schemas, non-blocking). Call it from the
   * constructor.
   *
   * @param endpoint the endpoint
   * @throws IllegalArgumentException if an endpoint with the same action and path exists
   * @throws NullPointerException if {@code endpoint} is null
   */
  protected final synchronized void endpoint(Endpoint endpoint) {
    Objects.requireNonNull(endpoint, "endpoint");
    if (endpoints.putIfAbsent(endpoint.methodKey(), endpoint) != null) {
      throw new IllegalArgumentException(
          "plugin " + name + " already has an endpoint " + endpoint.methodKey());
    }
  }

  /**
   * The declared endpoints. Thread-safe.
   *
   * @return an unmodifiable snapshot, in declaration order
   */
  public final synchronized List<Endpoint> endpoints() {
    return Collections.unmodifiableList(new ArrayList<>(endpoints.values()));
  }

  final synchronized Endpoint endpoint(String methodKey) {
    return endpoints.get(methodKey);
  }

  /**
   * Called once the agent registers the plugin, after the broker client is initialized. Override
   * it to read the configuration; an exception fails the registration and the agent reports it.
   *
   * @param config the plugin's configuration object from the agent; empty when there is none
   * @throws Exception to fail the registration, with the exception's message as the reason
   */
  protected void onRegister(JsonNode config) throws Exception {}

  /**
   * Sends a log record to the agent, which logs it tagged with this plugin's name. Never blocks
   * and never throws for a full buffer; records logged before the agent listens are buffered (up
   * to {@value LogPump#CAPACITY}). Thread-safe.
   *
   * @param level the record's severity
   * @param message the text; null is logged as "null"
   * @param fields structured fields, or null for none
   * @throws NullPointerException if {@code level} is null
   */
  public final void log(LogLevel level, String message, Map<String, String> fields) {
    LogMessage.Builder record =
        LogMessage.newBuilder()
            .setLevelValue(Objects.requireNonNull(level, "level").ordinal())
            .setMessage(String.valueOf(message));
    if (fields != null) {
      fields.forEach(
          (k, v) -> record.addFields(LogField.newBuilder().setKey(k).setValue(String.valueOf(v))));
    }
    logs.offer(record.build());
  }

  /**
   * Sends a log record without fields; see {@link #log(LogLevel, String, Map)}.
   *
   * @param level the record's severity
   * @param message the text
   * @throws NullPointerException if {@code level} is null
   */
  public final void log(LogLevel level, String message) {
    log(level, message, Map.of());
  }

  final LogPump logPump() {
    return logs;
  }

  /**
   * Connects this plugin to the agent's broker at {@code brokerAddress}. The plugin host calls it
   * during registration; calling it again replaces (and closes) the previous client. An empty
   * address means the agent has no broker: the plugin keeps working, and calls to other plugins
   * fail with "broker client is not initialized". Thread-safe.
   *
   * @param brokerAddress the broker's address ("host:port" or "unix:PATH"); null or blank for
   *     none
   * @throws IllegalArgumentException if the agent's TLS environment is incomplete or unreadable
   */
  public void initializeBrokerClient(String brokerAddress) {
    BrokerClient next =
        brokerAddress == null || brokerAddress.isBlank()
            ? null
            : BrokerClient.connect(brokerAddress);
    BrokerClient previous;
    synchronized (this) {
      previous = broker;
      broker = next;
    }
    if (previous != null) {
      previous.close();
    }
  }

  /**
   * Uses an already built client (for example one with other credentials), closing the previous
   * one. The plugin then owns it: it closes it on shutdown or when it is replaced. Thread-safe.
   *
   * @param client the client, or null to have none
   */
  public void initializeBrokerClient(BrokerClient client) {
    BrokerClient previous;
    synchronized (this) {
      previous = broker;
      broker = client;
    }
    if (previous != null && previous != client) {
      previous.close();
    }
  }

  /**
   * Whether calls to other plugins can be made.
   *
   * @return true when a broker client is initialized
   */
  public final boolean brokerAvailable() {
    return broker != null;
  }

  /**
   * Calls another plugin's endpoint through the agent's broker.
   *
   * @param pluginName the target's name, case-sensitive, e.g. "HelloPlugin"
   * @param method the target endpoint's path, e.g. "hello"
   * @param action the target endpoint's action
   * @param request what to send; null is an empty request
   * @return the target's answer
   * @throws PluginCallException "broker client is not initialized" (FAILED_PRECONDITION) when
   *     the agent gave no broker, or the broker's or target's status
   * @see BrokerClient#call(String, String, Action, Request)
   */
  public final Response callPlugin(
      String pluginName, String method, Action action, Request request)
      throws PluginCallException {
    return requireBroker().call(pluginName, method, action, request);
  }

  /**
   * Like {@link #callPlugin(String, String, Action, Request)}, failing with DEADLINE_EXCEEDED
   * when {@code timeout} passes first.
   *
   * @param pluginName the target's name
   * @param method the target endpoint's path
   * @param action the target endpoint's action
   * @param request what to send; null is an empty request
   * @param timeout how long to wait; null: the broker's default
   * @return the target's answer
   * @throws PluginCallException FAILED_PRECONDITION when the agent gave no broker, or the
   *     broker's or target's status
   */
  public final Response callPlugin(
      String pluginName, String method, Action action, Request request, Duration timeout)
      throws PluginCallException {
    return requireBroker().call(pluginName, method, action, request, timeout);
  }

  /**
   * Like {@link #callPlugin(String, String, Action, Request)}, without blocking a thread (see
   * {@link BrokerClient#callAsync(String, String, Action, Request, Duration)} for which thread
   * completes it). The future fails with a {@link PluginCallException}, FAILED_PRECONDITION when
   * the agent gave no broker.
   *
   * @param pluginName the target's name
   * @param method the target endpoint's path
   * @param action the target endpoint's action
   * @param request what to send; null is an empty request
   * @return a future of the target's answer
   */
  public final CompletableFuture<Response> callPluginAsync(
      String pluginName, String method, Action action, Request request) {
    BrokerClient b = broker;
    if (b == null) {
      return CompletableFuture.failedFuture(
          new PluginCallException(StatusCode.FAILED_PRECONDITION, PluginCallException.NOT_INITIALIZED));
    }
    return b.callAsync(pluginName, method, action, request);
  }

  /**
   * Lists the plugins the agent has loaded that this plugin may see. Blocks the calling thread.
   *
   * @return their names, in load order
   * @throws PluginCallException FAILED_PRECONDITION when the agent gave no broker, or the
   *     broker's status
   */
  public final List<String> listAvailablePlugins() throws PluginCallException {
    return requireBroker().listPlugins();
  }

  private BrokerClient requireBroker() throws PluginCallException {
    BrokerClient b = broker;
    if (b == null) {
      throw new PluginCallException(
          StatusCode.FAILED_PRECONDITION, PluginCallException.NOT_INITIALIZED);
    }
    return b;
  }

  /** Releases the broker client and ends the log stream. Called by the host on shutdown. */
  final void shutdown() {
    initializeBrokerClient((BrokerClient) null);
    logs.close();
  }
}
