package io.dtac.testing;

import io.dtac.core.internal.Headers;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.ListPluginsRequest;
import io.dtac.broker.api.ListPluginsResponse;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.api.PluginCallResponse;
import io.dtac.broker.api.PluginDescription;
import io.dtac.core.Action;
import io.dtac.core.Protocol;
import io.dtac.core.internal.Protos;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The broker's {@code AgentService} as one plugin under test sees it: every call is that
 * plugin's (the real broker learns the caller from the kernel; here each plugin has its own
 * address), its call token places it in a chain, it is recorded, then routed.
 */
final class FakeAgentService extends AgentServiceGrpc.AgentServiceImplBase {
  private static final Context.Key<String> TOKEN = Context.key(Protocol.CALL_TOKEN);

  private final String caller;
  private final Router router;
  private final Consumer<RecordedCall> recorder;

  private FakeAgentService(String caller, Router router, Consumer<RecordedCall> recorder) {
    this.caller = caller;
    this.router = router;
    this.recorder = recorder;
  }

  /** The service for calls from {@code caller}, reading the call token header. */
  static ServerServiceDefinition forCaller(String caller, Router router, Consumer<RecordedCall> recorder) {
    ServerInterceptor token = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(TOKEN, headers.get(Headers.CALL_TOKEN)), call, headers, next);
      }
    };
    BindableService service = new FakeAgentService(caller, router, recorder);
    return ServerInterceptors.intercept(service, token);
  }

  @Override
  public void callPlugin(PluginCallRequest request, StreamObserver<PluginCallResponse> out) {
    String token = TOKEN.get();
    List<String> parent = List.of(caller);
    if (token != null) {
      parent = router.chainFor(token, caller);
      if (parent == null) {
        fail(out, Status.INVALID_ARGUMENT.withDescription("header " + Protocol.CALL_TOKEN
            + " does not name a call in flight to plugin '" + caller + "': send the token of the call being served, or none"));
        return;
      }
    }
    Action action = Action.ofWireName(request.getAction().toLowerCase(Locale.ROOT)).orElse(null);
    if (action == null) {
      fail(out, Status.INVALID_ARGUMENT.withDescription("unknown action " + io.dtac.core.internal.Messages.quote(request.getAction())
          + "; expected one of " + Action.wireNames()));
      return;
    }
    Deadline deadline = Context.current().getDeadline();
    List<String> chain = new ArrayList<>(parent);
    chain.add(request.getPluginName());
    recorder.accept(new RecordedCall(caller, request.getPluginName(), request.getMethod(), action,
        Protos.fromProto(request.getRequest()), chain,
        deadline == null ? null : Duration.ofNanos(Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS)))));
    Futures.addCallback(
        router.route(parent, request.getPluginName(), request.getMethod(), action, request.getRequest(), null),
        new FutureCallback<EndpointResponse>() {
          @Override
          public void onSuccess(EndpointResponse r) {
            try {
              out.onNext(PluginCallResponse.newBuilder().setResponse(r).build());
              out.onCompleted();
            } catch (RuntimeException cancelled) {
              // the caller went away first
            }
          }

          @Override
          public void onFailure(Throwable t) {
            fail(out, Status.fromThrowable(t));
          }
        },
        MoreExecutors.directExecutor());
  }

  @Override
  public void listPlugins(ListPluginsRequest request, StreamObserver<ListPluginsResponse> out) {
    ListPluginsResponse.Builder b = ListPluginsResponse.newBuilder();
    for (ServedPlugin p : router.all()) {
      b.addPlugins(p.name());
      PluginDescription.Builder d = PluginDescription.newBuilder().setName(p.name())
          .setRootPath(p.plugin().rootPath()).setState(p.stopped() ? "STOPPED" : "RUNNING");
      p.endpoints().forEach(e -> d.addEndpoints(Protos.toProto(e)));
      b.addDetails(d);
    }
    out.onNext(b.build());
    out.onCompleted();
  }

  private static void fail(StreamObserver<?> out, Status status) {
    try {
      out.onError(status.asRuntimeException());
    } catch (RuntimeException cancelled) {
      // the caller went away first
    }
  }
}
