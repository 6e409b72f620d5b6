package io.dtac.plugin;

import io.dtac.core.Action;

import java.util.Objects;

/**
 * One endpoint a plugin serves: exposed by the agent as {@code /plugins/ROOT_PATH/PATH} with the
 * HTTP method of its {@link Action}, and callable by other plugins as {@code (path, action)}.
 * Immutable.
 */
public final class Endpoint {
  private final String path;
  private final Action action;
  private final String description;
  private final Boolean secure;
  private final String authGroup;
  private final String bodySchema;
  private final String outputSchema;
  private final EndpointHandler handler;
  private final AsyncEndpointHandler asyncHandler;
  private final boolean nonBlocking;

  private Endpoint(Builder b) {
    this.path = b.path;
    this.action = b.action;
    this.description = b.description;
    this.secure = b.secure;
    this.authGroup = b.authGroup;
    this.bodySchema = b.bodySchema;
    this.outputSchema = b.outputSchema;
    this.handler = b.handler;
    this.asyncHandler = b.asyncHandler;
    this.nonBlocking = b.nonBlocking || b.asyncHandler != null;
  }

  /**
   * Starts an endpoint.
   *
   * @param action what the endpoint does, and so its HTTP method
   * @param path its path relative to the plugin's root path, e.g. "hello"; checked by {@link
   *     Builder#build()}
   * @return a new builder
   * @throws NullPointerException if {@code action} or {@code path} is null
   */
  public static Builder builder(Action action, String path) {
    return new Builder(action, path);
  }

  /**
   * The endpoint's path, the method name callers use.
   *
   * @return the path relative to the plugin's root path, e.g. "hello"
   */
  public String path() {
    return path;
  }

  /**
   * What the endpoint does.
   *
   * @return its action; never null
   */
  public Action action() {
    return action;
  }

  /**
   * The protocol's key for this endpoint.
   *
   * @return {@code ACTION:PATH}, e.g. {@code read:hello}
   */
  public String methodKey() {
    return action.methodKey(path);
  }

  /**
   * What the endpoint does, for people (the agent's listings show it).
   *
   * @return the description; "" when none was given
   */
  public String description() {
    return description;
  }

  /**
   * Whether the agent's REST gateway requires a bearer token for this endpoint.
   *
   * @return true or false as the plugin declared it, or {@code null} for the agent's default
   */
  public Boolean secure() {
    return secure;
  }

  /**
   * The group a caller of the REST gateway must belong to.
   *
   * @return the group, "user" unless the plugin declared another
   */
  public String authGroup() {
    return authGroup;
  }

  /**
   * The JSON Schema of the request body, as the plugin declared it.
   *
   * @return the schema document, or "" for none
   */
  public String bodySchema() {
    return bodySchema;
  }

  /**
   * The JSON Schema of the response value, as the plugin declared it.
   *
   * @return the schema document, or "" for none
   */
  public String outputSchema() {
    return outputSchema;
  }

  /**
   * Whether the handler runs on the transport thread; see {@link Builder#nonBlocking()}.
   *
   * @return true for an endpoint declared non-blocking and for every asynchronous one
   */
  public boolean nonBlocking() {
    return nonBlocking;
  }

  /**
   * The code of a synchronous endpoint.
   *
   * @return the handler, or null for an asynchronous endpoint
   */
  public EndpointHandler handler() {
    return handler;
  }

  /**
   * The code of an asynchronous endpoint.
   *
   * @return the handler, or null for a synchronous endpoint
   */
  public AsyncEndpointHandler asyncHandler() {
    return asyncHandler;
  }

  /** Builds an {@link Endpoint}; validates on {@link #build()}. Not thread-safe. */
  public static final class Builder {
    private final Action action;
    private final String path;
    private String description = "";
    private Boolean secure;
    private String authGroup = "user";
    private String bodySchema = "";
    private String outputSchema = "";
    private EndpointHandler handler;
    private AsyncEndpointHandler asyncHandler;
    private boolean nonBlocking;

    private Builder(Action action, String path) {
      this.action = Objects.requireNonNull(action, "action");
      this.path = Objects.requireNonNull(path, "path");
    }

    /**
     * Sets what the endpoint does, for people.
     *
     * @param description the text; "" by default
     * @return this builder
     * @throws NullPointerException if {@code description} is null
     */
    public Builder description(String description) {
      this.description = Objects.requireNonNull(description, "description");
      return this;
    }

    /**
     * Requires (or not) a bearer token at the agent's REST gateway, overriding the agent's
     * default. Calls from other plugins through the broker are not affected.
     *
     * @param secure true to require a token, false to serve without one
     * @return this builder
     */
    public Builder secure(boolean secure) {
      this.secure = secure;
      return this;
    }

    /**
     * Sets the group a caller of the REST gateway must belong to.
     *
     * @param authGroup one of {@code admin}, {@code operator}, {@code user} (the default),
     *     {@code guest}
     * @return this builder
     * @throws NullPointerException if {@code authGroup} is null
     */
    public Builder authGroup(String authGroup) {
      this.authGroup = Objects.requireNonNull(authGroup, "authGroup");
      return this;
    }

    /**
     * Declares the request body's JSON Schema, for the agent's listings. The SDK does not
     * validate requests against it.
     *
     * @param schema a JSON Schema document
     * @return this builder
     * @throws NullPointerException if {@code schema} is null
     */
    public Builder bodySchema(String schema) {
      this.bodySchema = Objects.requireNonNull(schema, "schema");
      return this;
    }

    /**
     * Declares the response value's JSON Schema, for the agent's listings. The SDK does not
     * validate answers against it.
     *
     * @param schema a JSON Schema document
     * @return this builder
     * @throws NullPointerException if {@code schema} is null
     */
    public Builder outputSchema(String schema) {
      this.outputSchema = Objects.requireNonNull(schema, "schema");
      return this;
    }

    /**
     * Declares that the handler never blocks: no I/O, no waiting, no call to another plugin. The
     * plugin host then runs it on the transport thread instead of handing each call to a worker
     * thread and back, which saves two thread hand-offs per call (see docs/BENCHMARKS.md). A
     * handler that does block must not use this: it would stall every call to the plugin.
     *
     * @return this builder
     */
    public Builder nonBlocking() {
      this.nonBlocking = true;
      return this;
    }

    /**
     * Sets the code of a synchronous endpoint: it runs on a worker thread (unless {@link
     * #nonBlocking()}) and returns the answer.
     *
     * @param handler the code; must be thread-safe
     * @return this builder
     * @throws NullPointerException if {@code handler} is null
     */
    public Builder handler(EndpointHandler handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * Sets an asynchronous handler (see {@link AsyncEndpointHandler}), instead of {@link
     * #handler}: it runs on the transport thread and answers when its stage completes.
     *
     * @param handler the code; must be thread-safe and must not block
     * @return this builder
     * @throws NullPointerException if {@code handler} is null
     */
    public Builder asyncHandler(AsyncEndpointHandler handler) {
      this.asyncHandler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * Validates what was set and creates the endpoint.
     *
     * @return a new, immutable endpoint
     * @throws IllegalArgumentException if the path is empty, starts with '/' or holds ':'
     * @throws IllegalStateException if no handler was set, or both a handler and an async
     *     handler
     */
    public Endpoint build() {
      if (path.isEmpty() || path.startsWith("/") || path.contains(":")) {
        throw new IllegalArgumentException(
            "endpoint path '" + path + "' must be non-empty, must not start with '/' and must"
                + " not contain ':' (it is relative to the plugin's root path)");
      }
      if (handler == null && asyncHandler == null) {
        throw new IllegalStateException("endpoint " + action.methodKey(path) + " has no handler");
      }
      if (handler != null && asyncHandler != null) {
        throw new IllegalStateException(
            "endpoint " + action.methodKey(path) + " has both a handler and an async handler; give it one");
      }
      return new Endpoint(this);
    }
  }
}
