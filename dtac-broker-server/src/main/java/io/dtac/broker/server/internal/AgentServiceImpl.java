package io.dtac.broker.server.internal;

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
import io.dtac.broker.server.PluginInfo;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/** The broker's gRPC face, {@code AgentService}: plugins call each other and list plugins here. */
public final class AgentServiceImpl extends AgentServiceGrpc.AgentServiceImplBase {
  private final CallRouter router;
  private final PluginRegistry registry;

  public AgentServiceImpl(CallRouter router, PluginRegistry registry) {
    this.router = router;
    this.registry = registry;
  }

  @Override
  public void callPlugin(PluginCallRequest call, StreamObserver<PluginCallResponse> out) {
    Futures.addCallback(
        router.route(call.getPluginName(), call.getMethod(), call.getAction(), call.getRequest()),
        new FutureCallback<EndpointResponse>() {
          @Override
          public void onSuccess(EndpointResponse response) {
            out.onNext(PluginCallResponse.newBuilder().setResponse(response).build());
            out.onCompleted();
          }

          @Override
          public void onFailure(Throwable t) {
            out.onError(Status.fromThrowable(t).asRuntimeException());
          }
        },
        MoreExecutors.directExecutor());
  }

  @Override
  public void listPlugins(ListPluginsRequest request, StreamObserver<ListPluginsResponse> out) {
    out.onNext(list(registry));
    out.onCompleted();
  }

  /** Every named plugin, in load order, with its details. */
  public static ListPluginsResponse list(PluginRegistry registry) {
    ListPluginsResponse.Builder reply = ListPluginsResponse.newBuilder();
    for (LoadedPlugin p : registry.plugins()) {
      PluginInfo info = p.snapshot();
      reply.addPlugins(info.name());
      reply.addDetails(
          PluginDescription.newBuilder()
              .setName(info.name())
              .setRootPath(info.rootPath())
              .setState(info.state().name())
              .addAllEndpoints(info.endpoints()));
    }
    return reply.build();
  }
}
