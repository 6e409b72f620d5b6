package io.dtac.plugin.internal;

import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;

/** Formats the handshake line a plugin prints on stdout. */
public final class ConnectLine {
  public static final String API_VERSION = "plug_api_1.0";

  private ConnectLine() {}

  /**
   * The line for a server bound to {@code address}: transport {@code tcp} with IP and port, or
   * {@code unix} with the socket's path and port 0.
   */
  public static String format(
      String name, String rootPath, SocketAddress address, Map<String, String> options) {
    if (address instanceof DomainSocketAddress) {
      return format(name, rootPath, "unix", ((DomainSocketAddress) address).path(), "0", options);
    }
    InetSocketAddress inet = (InetSocketAddress) address;
    return format(name, rootPath, "tcp", inet.getAddress().getHostAddress(), Integer.toString(inet.getPort()), options);
  }

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
