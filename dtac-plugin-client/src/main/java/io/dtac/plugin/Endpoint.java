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

  /** Starts an endpoint at {@code path} (relative to the plugin's root path) for {@code action}. */
  public static Builder builder(Action action, String path) {
    return new Builder(action, path);
  }

  public String path() {
    return path;
  }

  public Action action() {
    return action;
  }

  /** The protocol's key for this endpoint, {@code ACTION:PATH}, e.g. {@code read:hello}. */
  public String methodKey() {
    return action.methodKey(path);
  }

  public String description() {
    return description;
  }

  /** Whether a bearer token is required; {@code null} means the agent's default. */
  public Boolean secure() {
    return secure;
  }

  public String authGroup() {
    return authGroup;
  }

  public String bodySchema() {
    return bodySchema;
  }

  public String outputSchema() {
    return outputSchema;
  }

  /** Whether the handler runs on the transport thread; see {@link Builder#nonBlocking()}. */
  public boolean nonBlocking() {
    return nonBlocking;
  }

  /** The handler of a synchronous endpoint; null for an asynchronous one. */
  public EndpointHandler handler() {
    return handler;
  }

  /** The handler of an asynchronous endpoint; null for a synchronous one. */
  public AsyncEndpointHandler asyncHandler() {
    return asyncHandler;
  }

  /** Builds an {@link Endpoint}; validates on {@link #build()}. */
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

    public Builder description(String description) {
      this.description = Objects.requireNonNull(description, "description");
      return this;
    }

    /** Requires (or not) a bearer token, overriding the agent's default. */
    public Builder secure(boolean secure) {
      this.secure = secure;
      return this;
    }

    /** One of {@code admin}, {@code operator}, {@code user} (the default), {@code guest}. */
    public Builder authGroup(String authGroup) {
      this.authGroup = Objects.requireNonNull(authGroup, "authGroup");
      return this;
    }

    /** A JSON Schema document for the request body. */
    public Builder bodySchema(String schema) {
      this.bodySchema = Objects.requireNonNull(schema, "schema");
      return this;
    }

    /** A JSON Schema document for the response value. */
    public Builder outputSchema(String schema) {
      this.outputSchema = Objects.requireNonNull(schema, "schema");
      return this;
    }

    /**
     * Declares that the handler never blocks: no I/O, no waiting, no call to another plugin. The
     * plugin host then runs it on the transport thread instead of handing each call to a worker
     * thread and back, which saves two thread hand-offs per call (see docs/BENCHMARKS.md). A
     * handler that does block must not use this: it would stall every call to the plugin.
     */
    public Builder nonBlocking() {
      this.nonBlocking = true;
      return this;
    }

    public Builder handler(EndpointHandler handler) {
      this.handler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * An asynchronous handler (see {@link AsyncEndpointHandler}), instead of {@link #handler}: it
     * runs on the transport thread and answers when its stage completes.
     */
    public Builder asyncHandler(AsyncEndpointHandler handler) {
      this.asyncHandler = Objects.requireNonNull(handler, "handler");
      return this;
    }

    /**
     * @throws IllegalArgumentException if the path is empty, starts with '/' or holds ':'
     * @throws IllegalStateException if no handler was set
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
