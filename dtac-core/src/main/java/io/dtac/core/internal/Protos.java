package io.dtac.core.internal;

import com.google.protobuf.ByteString;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.PluginDescription;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.core.Action;
import io.dtac.core.EndpointInfo;
import io.dtac.core.PluginCallException;
import io.dtac.core.PluginSummary;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.StatusCode;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;

/** Conversions between the SDK's types and the protocol's messages and statuses. */
public final class Protos {
  private Protos() {}

  public static EndpointRequest toProto(Request r) {
    return EndpointRequest.newBuilder()
        .putAllMetadata(r.metadata())
        .putAllHeaders(Multimaps.toProto(r.headers()))
        .putAllParameters(Multimaps.toProto(r.parameters()))
        .setBody(ByteString.copyFrom(r.body()))
        .build();
  }

  public static Request fromProto(EndpointRequest p) {
    return Request.builder()
        .metadata(p.getMetadataMap())
        .headers(Multimaps.fromProto(p.getHeadersMap()))
        .parameters(Multimaps.fromProto(p.getParametersMap()))
        .body(p.getBody().toByteArray())
        .build();
  }

  public static EndpointResponse toProto(Response r) {
    return EndpointResponse.newBuilder()
        .putAllMetadata(r.metadata())
        .putAllHeaders(Multimaps.toProto(r.headers()))
        .putAllParameters(Multimaps.toProto(r.parameters()))
        .setValue(ByteString.copyFrom(r.value()))
        .build();
  }

  public static Response fromProto(EndpointResponse p) {
    return Response.builder()
        .metadata(p.getMetadataMap())
        .headers(Multimaps.fromProto(p.getHeadersMap()))
        .parameters(Multimaps.fromProto(p.getParametersMap()))
        .value(p.getValue().toByteArray())
        .build();
  }

  /** An endpoint as the protocol lists it; null if its action is not one of the four. */
  public static EndpointInfo fromProto(PluginEndpoint e) {
    return Action.ofWireName(e.getAction())
        .map(a -> new EndpointInfo(a, e.getPath(), e.getDescription(), e.getSecure(), e.getAuthGroup(),
            e.getExpectedBodySchema(), e.getExpectedOutputSchema()))
        .orElse(null);
  }

  public static PluginEndpoint toProto(EndpointInfo e) {
    return PluginEndpoint.newBuilder()
        .setAction(e.action().wireName())
        .setPath(e.path())
        .setDescription(e.description())
        .setSecure(e.secure())
        .setAuthGroup(e.authGroup())
        .setExpectedBodySchema(e.bodySchema())
        .setExpectedOutputSchema(e.outputSchema())
        .build();
  }

  public static List<EndpointInfo> endpoints(List<PluginEndpoint> endpoints) {
    List<EndpointInfo> out = new ArrayList<>();
    for (PluginEndpoint e : endpoints) {
      EndpointInfo info = fromProto(e);
      if (info != null) {
        out.add(info);
      }
    }
    return List.copyOf(out);
  }

  public static PluginSummary fromProto(PluginDescription d) {
    return new PluginSummary(d.getName(), d.getRootPath(), d.getState(), endpoints(d.getEndpointsList()));
  }

  public static StatusCode code(Status.Code code) {
    return StatusCode.of(code.value());
  }

  public static Status.Code code(StatusCode code) {
    return Status.fromCodeValue(code.value()).getCode();
  }

  /** A failed call as the SDK's exception: its status code and description. */
  public static PluginCallException toException(Throwable t) {
    if (t instanceof PluginCallException) {
      return (PluginCallException) t;
    }
    Status s = Status.fromThrowable(t);
    return new PluginCallException(code(s.getCode()), s.getDescription(),
        t instanceof StatusRuntimeException || t instanceof StatusException ? t : s.asRuntimeException(trailers(t)));
  }

  private static io.grpc.Metadata trailers(Throwable t) {
    io.grpc.Metadata m = Status.trailersFromThrowable(t);
    return m == null ? new io.grpc.Metadata() : m;
  }
}
