package io.dtac.core.internal;

import io.dtac.core.Protocol;
import io.grpc.Metadata;

/** The gRPC header keys of the {@link Protocol} names that travel as headers. */
public final class Headers {
  private Headers() {}

  /** {@link Protocol#CREDENTIAL_HEADER}: the broker credential a plugin presents. */
  public static final Metadata.Key<String> CREDENTIAL =
      Metadata.Key.of(Protocol.CREDENTIAL_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  /** {@link Protocol#CALL_TOKEN}: the token of the call a plugin's broker call belongs to. */
  public static final Metadata.Key<String> CALL_TOKEN =
      Metadata.Key.of(Protocol.CALL_TOKEN, Metadata.ASCII_STRING_MARSHALLER);
}
