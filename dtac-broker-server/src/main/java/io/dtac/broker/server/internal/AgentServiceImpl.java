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
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginInfo;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/** The broker's gRPC face, {@code AgentService}: plugins call each other and list plugins here. */
public final class AgentServiceImpl extends AgentServiceGrpc.AgentServiceImplBase {
  private final CallGate gate;
  private final PluginRegistry registry;

  /** Without access policy (every call allowed) and with audit records to the log only. */
  public AgentServiceImpl(CallRouter router, PluginRegistry registry) {
    this(new CallGate(router, PolicyEngine.fixed(AccessPolicy.allowAll()), new AuditLog(null)), registry);
  }

  /** Calls pass the gate's access policy and audit. */
  public AgentServiceImpl(CallGate gate, PluginRegistry registry) {
    this.gate = gate;
    this.registry = registry;
  }

  @Override
  public void callPlugin(PluginCallRequest call, StreamObserver<PluginCallResponse> out) {
    Futures.addCallback(
        gate.call(call.getPluginName(), call.getMethod(), call.getAction(), call.getRequest()),
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

  /** A plugin caller sees only the plugins, and endpoints, the access policy lets it call. */
  @Override
  public void listPlugins(ListPluginsRequest request, StreamObserver<ListPluginsResponse> out) {
    CallerIdentity caller = CallerIdentity.current();
    if (caller == null) {
      out.onError(
          Status.UNAUTHENTICATED
              .withDescription("the call carries no caller identity")
              .asRuntimeException());
      return;
    }
    out.onNext(gate.policy().visibleTo(caller, list(registry)));
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
              .addAllEndpoints(info.endpoints().stream().map(io.dtac.core.internal.Protos::toProto).toList()));
    }
    return reply.build();
  }
}
