package io.dtac.bench.plugin;

import com.google.protobuf.ByteString;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.EndpointResponseMessage;
import io.dtac.broker.api.StringList;
import io.dtac.core.Request;
import io.dtac.core.Response;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SDK's conversions between {@link Request}/{@link Response} and the protocol's messages, done
 * the same way (same copies) as the SDK does them inside {@code BrokerClient} and the plugin host,
 * so that a direct call in the benchmark does the same per-call work at both ends as a brokered
 * one, and differs only in the path it takes.
 */
final class Wire {
  private Wire() {}

  static EndpointRequestMessage toMessage(String methodKey, Request r) {
    EndpointRequest request =
        EndpointRequest.newBuilder()
            .putAllMetadata(r.metadata())
            .putAllHeaders(toProto(r.headers()))
            .putAllParameters(toProto(r.parameters()))
            .setBody(ByteString.copyFrom(r.body()))
            .build();
    return EndpointRequestMessage.newBuilder().setMethod(methodKey).setRequest(request).build();
  }

  static Request fromProto(EndpointRequest p) {
    return Request.builder()
        .metadata(p.getMetadataMap())
        .headers(fromProto(p.getHeadersMap()))
        .parameters(fromProto(p.getParametersMap()))
        .body(p.getBody().toByteArray())
        .build();
  }

  static EndpointResponseMessage toMessage(Response r) {
    EndpointResponse response =
        EndpointResponse.newBuilder()
            .putAllMetadata(r.metadata())
            .putAllHeaders(toProto(r.headers()))
            .putAllParameters(toProto(r.parameters()))
            .setValue(ByteString.copyFrom(r.value()))
            .build();
    return EndpointResponseMessage.newBuilder().setResponse(response).build();
  }

  static Response fromProto(EndpointResponse p) {
    return Response.builder()
        .metadata(p.getMetadataMap())
        .headers(fromProto(p.getHeadersMap()))
        .parameters(fromProto(p.getParametersMap()))
        .value(p.getValue().toByteArray())
        .build();
  }

  private static Map<String, List<String>> fromProto(Map<String, StringList> source) {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    source.forEach((k, v) -> copy.put(k, List.copyOf(v.getValuesList())));
    return copy;
  }

  private static Map<String, StringList> toProto(Map<String, List<String>> source) {
    Map<String, StringList> copy = new LinkedHashMap<>();
    source.forEach((k, v) -> copy.put(k, StringList.newBuilder().addAllValues(v).build()));
    return copy;
  }
}
