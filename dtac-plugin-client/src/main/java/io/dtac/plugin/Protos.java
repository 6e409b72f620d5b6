package io.dtac.plugin;

import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.core.Request;
import io.dtac.core.Response;

/** The plugin side's conversions: endpoints to the protocol's messages; the rest is the core's. */
final class Protos {
  private Protos() {}

  static EndpointRequest toProto(Request r) {
    return io.dtac.core.internal.Protos.toProto(r);
  }

  static Request fromProto(EndpointRequest p) {
    return io.dtac.core.internal.Protos.fromProto(p);
  }

  static EndpointResponse toProto(Response r) {
    return io.dtac.core.internal.Protos.toProto(r);
  }

  static Response fromProto(EndpointResponse p) {
    return io.dtac.core.internal.Protos.fromProto(p);
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
