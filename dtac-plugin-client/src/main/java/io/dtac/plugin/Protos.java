package io.dtac.plugin;

import com.google.protobuf.ByteString;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.plugin.internal.Multimaps;

/** Conversions between the SDK's Java types and the protocol's messages. */
final class Protos {
  private Protos() {}

  static EndpointRequest toProto(Request r) {
    return EndpointRequest.newBuilder()
        .putAllMetadata(r.metadata())
        .putAllHeaders(Multimaps.toProto(r.headers()))
        .putAllParameters(Multimaps.toProto(r.parameters()))
        .setBody(ByteString.copyFrom(r.body()))
        .build();
  }

  static Request fromProto(EndpointRequest p) {
    return Request.builder()
        .metadata(p.getMetadataMap())
        .headers(Multimaps.fromProto(p.getHeadersMap()))
        .parameters(Multimaps.fromProto(p.getParametersMap()))
        .body(p.getBody().toByteArray())
        .build();
  }

  static EndpointResponse toProto(Response r) {
    return EndpointResponse.newBuilder()
        .putAllMetadata(r.metadata())
        .putAllHeaders(Multimaps.toProto(r.headers()))
        .putAllParameters(Multimaps.toProto(r.parameters()))
        .setValue(ByteString.copyFrom(r.value()))
        .build();
  }

  static Response fromProto(EndpointResponse p) {
    return Response.builder()
        .metadata(p.getMetadataMap())
        .headers(Multimaps.fromProto(p.getHeadersMap()))
        .parameters(Multimaps.fromProto(p.getParametersMap()))
        .value(p.getValue().toByteArray())
        .build();
  }

  static PluginEndpoint toProto(Endpoint e, boolean defaultSecure) {
    return PluginEndpoint.newBuilder()
        .setPath(e.path())
        .setAction(e.action().wireName())
        .setDescription(e.description())
        .setSecure(e.secure() == null ? defaultSecure : e.secure())
        .setAuthGroup(e.authGroup())
        .setExpectedBodySchema(e.bodySchema())
        .setExpectedOutputSchema(e.outputSchema())
        .build();
  }
}
