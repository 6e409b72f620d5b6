package io.dtac.broker.server.internal;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import io.dtac.broker.api.AgentServiceGrpc;
import com.google.protobuf.ByteString;
import io.dtac.broker.api.ListPluginsRequest;
import io.dtac.broker.api.ListPluginsResponse;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.api.PluginCallResponse;
import io.dtac.broker.api.PluginDescription;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginInfo;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
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

  /**
   * The service, its {@code CallPlugin} forwarding the request and the answer as bytes ({@link
   * ByteForwarding#CALL_PLUGIN}) rather than as the parsed messages of {@link #callPlugin}.
   */
  public ServerServiceDefinition forwardingService() {
    ServerServiceDefinition parsed = bindService();
    ServerServiceDefinition.Builder service =
        ServerServiceDefinition.builder(parsed.getServiceDescriptor().getName())
            .addMethod(ByteForwarding.CALL_PLUGIN, ServerCalls.asyncUnaryCall(this::forward));
    for (ServerMethodDefinition<?, ?> method : parsed.getMethods()) {
      if (!method.getMethodDescriptor().getFullMethodName().equals(ByteForwarding.CALL_PLUGIN.getFullMethodName())) {
        service.addMethod(method);
      }
    }
    return service.build();
  }

  @Override
  public void callPlugin(PluginCallRequest call, StreamObserver<PluginCallResponse> out) {
    forward(ByteForwarding.PluginCall.of(call), new StreamObserver<>() {
      @Override
      public void onNext(ByteString response) {
        out.onNext(PluginCallResponse.newBuilder().setResponse(ByteForwarding.endpointResponse(response)).build());
      }

      @Override
      public void onError(Throwable t) {
        out.onError(t);
      }

      @Override
      public void onCompleted() {
        out.onCompleted();
      }
    });
  }

  private void forward(ByteForwarding.PluginCall call, StreamObserver<ByteString> out) {
    Futures.addCallback(
        gate.forward(call.pluginName(), call.method(), call.action(), call.request(), null),
        new FutureCallback<ByteString>() {
          @Override
          public void onSuccess(ByteString response) {
            out.onNext(response);
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
