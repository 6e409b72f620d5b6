package io.dtac.broker.server.internal;

import static io.dtac.core.internal.Messages.quote;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parses the line a plugin prints on stdout to announce itself:
 * {@code CONNECT{{NAME:ROOT_PATH:RPC_PROTO:TRANS_PROTO:IP:PORT:API_VERSION:[OPTIONS]}}}.
 *
 * <p>TRANS_PROTO is {@code tcp} (IP and PORT), or {@code unix} for a plugin that accepted the
 * agent's offer of a Unix socket directory ({@link Transports}): then the IP field holds the
 * socket's absolute path and PORT is {@code 0}.
 *
 * <p>NAME, and ROOT_PATH when given, must follow {@link PluginNames}; NAME must not be one the
 * broker uses for itself ({@link PluginNames#RESERVED}).
 */
public final class HandshakeParser {
  /** Longer lines are refused: a handshake line is short, and stdout may be anything. */
  public static final int MAX_LINE_LENGTH = 4096;

  private static final String PREFIX = "CONNECT{{";
  private static final String SUFFIX = "}}";
  private static final int FIELDS = 8;

  private HandshakeParser() {}

  /** What a plugin announced in its handshake line. */
  public record ConnectInfo(
      String name,
      String rootPath,
      String transport,
      String host,
      int port,
      String apiVersion,
      Map<String, String> options) {

    /** Whether the plugin listens on a Unix domain socket, whose path is then {@link #host()}. */
    public boolean unix() {
      return "unix".equals(transport);
    }

    /** Whether the plugin serves gRPC over TLS ({@code tls=true}). */
    public boolean tls() {
      return "true".equalsIgnoreCase(options.getOrDefault("tls", "false"));
    }
  }

  /**
   * Parses one handshake line (without its line terminator).
   *
   * @param fileStem the plugin file's name without ".plugin", used when ROOT_PATH is empty
   * @throws HandshakeException saying what is wrong with the line
   */
  public static ConnectInfo parse(String line, String fileStem) {
    if (line == null) {
      throw new HandshakeException("no handshake line");
    }
    String trimmed = line.strip();
    if (trimmed.length() > MAX_LINE_LENGTH) {
      throw new HandshakeException(
          "handshake line is " + trimmed.length() + " characters, more than " + MAX_LINE_LENGTH);
    }
    if (!trimmed.startsWith(PREFIX)) {
      throw new HandshakeException(
          "expected a line starting with CONNECT{{, got: " + quote(trimmed));
    }
    if (!trimmed.endsWith(SUFFIX)) {
      throw new HandshakeException("handshake line is not terminated by }}: " + quote(trimmed));
    }
    String body = trimmed.substring(PREFIX.length(), trimmed.length() - SUFFIX.length());
    String[] f = body.split(":", -1);
    if (f.length != FIELDS) {
      throw new HandshakeException(
          "handshake line has "
              + f.length
              + " fields, expected "
              + FIELDS
              + " (NAME:ROOT_PATH:RPC_PROTO:TRANS_PROTO:IP:PORT:API_VERSION:[OPTIONS]): "
              + quote(trimmed));
    }
    String name = f[0];
    String wrongName = PluginNames.problem(name);
    if (wrongName != null) {
      throw new HandshakeException(
          "plugin name " + quote(name) + " is not allowed: " + wrongName + "; plugin names are "
              + PluginNames.RULE);
    }
    if (PluginNames.isReserved(name)) {
      throw new HandshakeException(
          "plugin name " + quote(name) + " is reserved: the broker uses "
              + String.join(" and ", PluginNames.RESERVED.stream().sorted().map(n -> "'" + n + "'").toList())
              + " (in any case) for callers that are not plugins; choose another name");
    }
    String rootPath = f[1].isEmpty() ? fileStem : f[1];
    String wrongRoot = f[1].isEmpty() ? null : PluginNames.problem(rootPath);
    if (wrongRoot != null) {
      throw new HandshakeException(
          "root path " + quote(rootPath) + " is not allowed: " + wrongRoot + "; root paths are "
              + PluginNames.RULE);
    }
    if (!"grpc".equals(f[2])) {
      throw new HandshakeException("unsupported RPC protocol '" + f[2] + "'; only grpc is supported");
    }
    String transport = f[3];
    String host = f[4];
    int port;
    if ("unix".equals(transport)) {
      if (!host.startsWith("/")) {
        throw new HandshakeException(
            "transport unix needs the socket's absolute path in the IP field, got '" + host + "'");
      }
      if (!"0".equals(f[5])) {
        throw new HandshakeException("transport unix takes port 0, got '" + f[5] + "'");
      }
      port = 0;
    } else if ("tcp".equals(transport)) {
      if (host.isEmpty()) {
        throw new HandshakeException("handshake line has an empty IP address");
      }
      port = parsePort(f[5]);
    } else {
      throw new HandshakeException("unsupported transport '" + transport + "'; expected tcp or unix");
    }
    String apiVersion = f[6];
    if (!apiVersion.startsWith("plug_api_1.")) {
      throw new HandshakeException(
          "unsupported plugin API version '" + apiVersion + "'; expected plug_api_1.x");
    }
    return new ConnectInfo(name, rootPath, transport, host, port, apiVersion, options(f[7]));
  }

  private static int parsePort(String value) {
    try {
      int port = Integer.parseInt(value);
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new HandshakeException("invalid port '" + value + "' in handshake line; expected 1-65535");
  }

  private static Map<String, String> options(String field) {
    if (!field.startsWith("[") || !field.endsWith("]")) {
      throw new HandshakeException("options must be enclosed in [ ], got '" + field + "'");
    }
    String inner = field.substring(1, field.length() - 1);
    Map<String, String> options = new LinkedHashMap<>();
    if (inner.isEmpty()) {
      return options;
    }
    for (String pair : inner.split(",", -1)) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new HandshakeException("option '" + pair + "' is not key=value");
      }
      try {
        options.put(
            pair.substring(0, eq),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new HandshakeException("option '" + pair + "' is not URL-escaped: " + e.getMessage());
      }
    }
    return Collections.unmodifiableMap(options);
  }

}
