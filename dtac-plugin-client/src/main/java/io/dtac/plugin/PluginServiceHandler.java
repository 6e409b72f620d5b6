package io.dtac.plugin;

import io.dtac.core.Response;
import io.dtac.core.PluginException;
import io.dtac.core.PluginCallException;
import io.dtac.core.Protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.util.concurrent.MoreExecutors;
import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.EndpointResponseMessage;
import io.dtac.broker.api.LogMessage;
import io.dtac.broker.api.LoggingArgs;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.api.RegisterRequest;
import io.dtac.broker.api.RegisterResponse;
import io.dtac.plugin.internal.CallToken;
import io.dtac.core.internal.Json;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Collectors;

/**
 * Serves {@code plugin.PluginService} for one {@link PluginBase}: the agent's view of a plugin.
 *
 * <p>With a worker executor, the server runs this service on its transport threads and the
 * service hands Register and every blocking endpoint to the worker, with the call's {@link
 * Context} (deadline, cancellation, call token); {@linkplain Endpoint#nonBlocking() non-blocking}
 * endpoints run where the call arrived.
 */
final class PluginServiceHandler extends PluginServiceGrpc.PluginServiceImplBase {
  private final PluginBase plugin;
  private final Executor worker;
  private final java.util.concurrent.atomic.AtomicBoolean registered = new java.util.concurrent.atomic.AtomicBoolean();

  /** Runs everything on the thread the server delivers the call on. */
  PluginServiceHandler(PluginBase plugin) {
    this(plugin, MoreExecutors.directExecutor());
  }

  /** Hands Register and blocking endpoints to {@code worker}. */
  PluginServiceHandler(PluginBase plugin, Executor worker) {
    this.plugin = plugin;
    this.worker = worker;
  }

  /**
   * Runs {@code task} on the worker in the current call's context; UNAVAILABLE when stopping,
   * RESOURCE_EXHAUSTED when the worker's threads and queue are all taken.
   */
  private void offload(StreamObserver<?> out, Runnable task) {
    try {
      worker.execute(Context.current().wrap(task));
    } catch (RejectedExecutionException e) {
      boolean stopping = worker instanceof java.util.concurrent.ExecutorService
          && ((java.util.concurrent.ExecutorService) worker).isShutdown();
      out.onError(
          (stopping
              ? Status.UNAVAILABLE.withDescription("plugin " + plugin.name() + " is stopping")
              : Status.RESOURCE_EXHAUSTED.withDescription("plugin " + plugin.name() + " is busy: "
                  + PluginHost.MAX_ENDPOINT_THREADS + " blocking calls are running and "
                  + PluginHost.MAX_QUEUED_CALLS + " are waiting, the most it takes; retry later"))
              .asRuntimeException());
    }
  }

  @Override
  public void register(RegisterRequest request, StreamObserver<RegisterResponse> response) {
    // Once per process: a second Register (even from the agent) could repoint the broker client.
    if (!registered.compareAndSet(false, true)) {
      response.onError(
          Status.FAILED_PRECONDITION
              .withDescription("plugin " + plugin.name() + " is already registered; Register is accepted once per process")
              .asRuntimeException());
      return;
    }
    offload(response, () -> {
      if (!registerNow(request, response)) {
        registered.set(false);
      }
    });
  }

  /** @return whether the plugin is registered now */
  private boolean registerNow(RegisterRequest request, StreamObserver<RegisterResponse> response) {
    JsonNode config;
    try {
      config = Json.tree(request.getConfig().getBytes(StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      response.onError(
          Status.INVALID_ARGUMENT
              .withDescription("plugin " + plugin.name() + ": config is not JSON: " + e.getMessage())
              .asRuntimeException());
      return false;
    }
    if (!request.getBrokerAddress().isEmpty()) {
      try {
        plugin.initializeBrokerClient(request.getBrokerAddress());
        plugin.log(
            LogLevel.INFO,
            "broker client initialized",
            Map.of("address", request.getBrokerAddress()));
      } catch (RuntimeException e) {
        plugin.log(
            LogLevel.WARNING,
            "failed to initialize broker client",
            Map.of("error", String.valueOf(e.getMessage())));
      }
    }
    try {
      plugin.onRegister(config);
    } catch (Exception e) {
      response.onError(
          Status.FAILED_PRECONDITION
              .withDescription("plugin " + plugin.name() + " refused to register: " + e.getMessage())
              .asRuntimeException());
      return false;
    }
    RegisterResponse.Builder reply = RegisterResponse.newBuilder();
    for (Endpoint e : plugin.endpoints()) {
      reply.addEndpoints(Protos.toProto(e, request.getDefaultSecure()));
    }
    response.onNext(reply.build());
    response.onCompleted();
    return true;
  }

  @Override
  public void call(EndpointRequestMessage request, StreamObserver<EndpointResponseMessage> out) {
    Endpoint endpoint = plugin.endpoint(request.getMethod());
    if (endpoint == null) {
      out.onError(
          Status.NOT_FOUND
              .withDescription(
                  "plugin "
                      + plugin.name()
                      + " has no endpoint '"
                      + request.getMethod()
                      + "'; endpoints: "
                      + plugin.endpoints().stream()
                          .map(Endpoint::methodKey)
                          .collect(Collectors.joining(", ")))
              .asRuntimeException());
      return;
    }
    if (endpoint.asyncHandler() != null) {
      dispatchAsync(endpoint, request, (ServerCallStreamObserver<EndpointResponseMessage>) out);
    } else if (endpoint.nonBlocking()) {
      dispatch(endpoint, request, out);
    } else {
      offload(out, () -> dispatch(endpoint, request, out));
    }
  }

  private void dispatch(
      Endpoint endpoint, EndpointRequestMessage request, StreamObserver<EndpointResponseMessage> out) {
    Response result;
    try {
      String token = request.getRequest().getMetadataOrDefault(Protocol.CALL_TOKEN, null);
      result =
          CallToken.with(Context.current(), token)
              .call(() -> endpoint.handler().handle(Protos.fromProto(request.getRequest())));
    } catch (Exception e) {
      out.onError(toStatus(endpoint, e));
      return;
    }
    if (result == null) {
      out.onError(
          Status.INTERNAL
              .withDescription("endpoint " + endpoint.methodKey() + " returned no response")
              .asRuntimeException());
      return;
    }
    out.onNext(EndpointResponseMessage.newBuilder().setResponse(Protos.toProto(result)).build());
    out.onCompleted();
  }

  /**
   * Runs an asynchronous handler where the call arrived and answers when its stage completes, on
   * the thread that completes it; a cancelled call cancels the stage's future.
   */
  private void dispatchAsync(
      Endpoint endpoint, EndpointRequestMessage request, ServerCallStreamObserver<EndpointResponseMessage> out) {
    java.util.concurrent.CompletableFuture<Response> answer;
    try {
      String token = request.getRequest().getMetadataOrDefault(Protocol.CALL_TOKEN, null);
      java.util.concurrent.CompletionStage<Response> stage =
          CallToken.with(Context.current(), token)
              .call(() -> endpoint.asyncHandler().handle(Protos.fromProto(request.getRequest())));
      if (stage == null) {
        out.onError(Status.INTERNAL.withDescription("endpoint " + endpoint.methodKey() + " returned no future")
            .asRuntimeException());
        return;
      }
      answer = stage.toCompletableFuture();
    } catch (Exception e) {
      out.onError(toStatus(endpoint, e));
      return;
    }
    out.setOnCancelHandler(() -> answer.cancel(true));
    answer.whenComplete((result, failure) -> {
      if (out.isCancelled()) {
        return;
      }
      if (failure != null) {
        Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
        out.onError(toStatus(endpoint, cause instanceof Exception ? (Exception) cause : new RuntimeException(cause)));
      } else if (result == null) {
        out.onError(Status.INTERNAL.withDescription("endpoint " + endpoint.methodKey() + " returned no response")
            .asRuntimeException());
      } else {
        out.onNext(EndpointResponseMessage.newBuilder().setResponse(Protos.toProto(result)).build());
        out.onCompleted();
      }
    });
  }

  private StatusRuntimeException toStatus(Endpoint endpoint, Exception e) {
    if (e instanceof PluginException) {
      return Status.fromCode(io.dtac.core.internal.Protos.code(((PluginException) e).code()))
          .withDescription(e.getMessage())
          .asRuntimeException();
    }
    if (e instanceof PluginCallException) {
      // Passed on as the target's own failure: its code, and its words.
      return Status.fromCode(io.dtac.core.internal.Protos.code(((PluginCallException) e).code()))
          .withDescription(((PluginCallException) e).description())
          .asRuntimeException();
    }
    if (e instanceof IllegalArgumentException) {
      return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
    }
    if (e instanceof StatusRuntimeException) {
      return (StatusRuntimeException) e;
    }
    plugin.log(
        LogLevel.ERROR,
        "endpoint failed",
        Map.of("endpoint", endpoint.methodKey(), "error", e.toString()));
    return Status.INTERNAL
        .withDescription("endpoint " + endpoint.methodKey() + " failed: " + e)
        .withCause(e)
        .asRuntimeException();
  }

  @Override
  public void loggingStream(LoggingArgs request, StreamObserver<LogMessage> out) {
    plugin.logPump().attach((ServerCallStreamObserver<LogMessage>) out);
  }
}
