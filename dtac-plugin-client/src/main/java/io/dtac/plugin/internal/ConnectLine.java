package io.dtac.plugin.internal;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;

/** Formats the handshake line a plugin prints on stdout. */
public final class ConnectLine {
  public static final String API_VERSION = "plug_api_1.0";

  private ConnectLine() {}

  /**
   * {@code CONNECT{{NAME:ROOT_PATH:grpc:TRANSPORT:HOST:PORT:plug_api_1.0:[k=v,...]}}}, with the
   * option values URL-escaped.
   */
  public static String format(
      String name, String rootPath, String transport, String host, String port,
      Map<String, String> options) {
    String opts =
        options.entrySet().stream()
            .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining(","));
    return "CONNECT{{" + String.join(":", name, rootPath, "grpc", transport, host, port,
        API_VERSION, "[" + opts + "]") + "}}";
  }
}
