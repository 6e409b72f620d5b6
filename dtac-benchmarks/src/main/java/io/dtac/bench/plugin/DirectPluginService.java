package io.dtac.bench.plugin;

import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.EndpointResponseMessage;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.plugin.Endpoint;
import io.dtac.plugin.PluginBase;
import io.dtac.core.Response;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * {@code PluginService.Call} of one plugin, served to a direct caller (no agent in the path). Does
 * what the SDK's plugin host does per call: finds the endpoint by its {@code ACTION:PATH} key,
 * converts the request, runs the handler, converts the response.
 */
final class DirectPluginService extends PluginServiceGrpc.PluginServiceImplBase {
  private final Map<String, Endpoint> endpoints;

  DirectPluginService(PluginBase plugin) {
    this.endpoints =
        plugin.endpoints().stream().collect(Collectors.toMap(Endpoint::methodKey, Function.identity()));
  }

  @Override
  public void call(EndpointRequestMessage request, StreamObserver<EndpointResponseMessage> out) {
    Endpoint endpoint = endpoints.get(request.getMethod());
    if (endpoint == null) {
      out.onError(
          Status.NOT_FOUND
              .withDescription("no endpoint '" + request.getMethod() + "'; endpoints: " + endpoints.keySet())
              .asRuntimeException());
      return;
    }
    Response result;
    try {
      result = endpoint.handler().handle(Wire.fromProto(request.getRequest()));
    } catch (Exception e) {
      out.onError(Status.INTERNAL.withDescription(e.toString()).withCause(e).asRuntimeException());
      return;
    }
    out.onNext(Wire.toMessage(result));
    out.onCompleted();
  }
}
