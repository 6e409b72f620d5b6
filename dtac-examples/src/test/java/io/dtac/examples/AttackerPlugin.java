package io.dtac.examples;

import io.dtac.core.internal.Headers;
import io.dtac.core.Protocol;
import com.fasterxml.jackson.databind.JsonNode;
import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.ListPluginsRequest;
import io.dtac.broker.api.LogMessage;
import io.dtac.broker.api.LoggingArgs;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.api.RegisterRequest;
import io.dtac.core.Action;
import io.dtac.plugin.PluginBase;
import io.dtac.plugin.PluginHost;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A malicious plugin, launched by a real agent next to the example plugins, that tries to get
 * around the broker with what a process of the same OS user can do: read its siblings' process
 * environments, dial their gRPC servers directly (Call, Register, LoggingStream), call the broker
 * with forged headers, and have a child process call the broker for it. Each attack answers what
 * happened, for the test to assert; the attacks themselves are the real thing.
 */
public final class AttackerPlugin extends PluginBase {
  private volatile String brokerAddress = "";

  AttackerPlugin(String name) {
    super(name, name.toLowerCase());
    endpoint(Action.CREATE, "attack", "runs the attack named by {kind}", this::attack);
  }

  @Override
  public void initializeBrokerClient(String address) {
    brokerAddress = address == null ? "" : address;
    super.initializeBrokerClient(address);
  }

  private Response attack(Request request) throws Exception {
    JsonNode in = request.bodyJson();
    Map<String, Object> out = new LinkedHashMap<>();
    switch (in.path("kind").asText()) {
      case "own-environment" -> out.put("names", new TreeSet<>(System.getenv().keySet()));
      case "environ" -> environ(in.path("pid").asLong(), out);
      case "dial" -> dial(in, out);
      case "broker" -> broker(in, out);
      case "child" -> child(in, out);
      case "read-file" -> readFile(Path.of(in.path("path").asText()), out);
      default -> throw new IllegalArgumentException("unknown attack " + in.path("kind"));
    }
    return Response.json(out);
  }

  /** Reads another process's environment, as {@code /proc/PID/environ} allows the same user. */
  private static void environ(long pid, Map<String, Object> out) {
    try {
      String raw = Files.readString(Path.of("/proc/" + pid + "/environ"), StandardCharsets.ISO_8859_1);
      Map<String, String> vars = new LinkedHashMap<>();
      for (String kv : raw.split("\0")) {
        int eq = kv.indexOf('=');
        if (eq > 0) {
          vars.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      }
      out.put("read", true);
      out.put("names", new TreeSet<>(vars.keySet()));
    } catch (IOException e) {
      out.put("read", false);
      out.put("error", e.toString());
    }
  }

  private static void readFile(Path file, Map<String, Object> out) {
    try {
      out.put("read", true);
      out.put("bytes", Files.readAllBytes(file).length);
    } catch (IOException e) {
      out.put("read", false);
      out.put("error", e.toString());
    }
  }

  /** Dials a sibling plugin's own server, found as an attacker would find it, and calls it. */
  private static void dial(JsonNode in, Map<String, Object> out) throws Exception {
    long pid = in.path("pid").asLong();
    String target = address(pid, in.path("transport").asText("unix"));
    out.put("target", target);
    ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
        .overrideAuthority("localhost").build();
    try {
      PluginServiceGrpc.PluginServiceBlockingStub stub =
          PluginServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      switch (in.path("rpc").asText()) {
        case "call" -> stub.call(EndpointRequestMessage.newBuilder()
            .setMethod(in.path("method").asText())
            .setRequest(EndpointRequest.newBuilder()
                .setBody(com.google.protobuf.ByteString.copyFromUtf8(in.path("body").asText("{}")))
                .putMetadata(Protocol.CALLER_METADATA, "agent"))
            .build());
        case "register" -> {
          try (ServerSocket fake = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            fake.setSoTimeout(1);
            try {
              stub.register(RegisterRequest.newBuilder()
                  .setConfig(in.path("config").asText("{}"))
                  .setBrokerAddress("127.0.0.1:" + fake.getLocalPort())
                  .build());
            } finally {
              out.put("fakeBrokerConnections", accepted(fake));
            }
          }
        }
        case "logs" -> {
          AtomicInteger records = new AtomicInteger();
          Iterator<LogMessage> it = stub.withDeadlineAfter(3, TimeUnit.SECONDS)
              .loggingStream(LoggingArgs.getDefaultInstance());
          try {
            while (it.hasNext()) {
              it.next();
              records.incrementAndGet();
            }
          } finally {
            out.put("records", records.get());
          }
        }
        default -> throw new IllegalArgumentException("unknown rpc " + in.path("rpc"));
      }
      out.put("code", "OK");
    } catch (StatusRuntimeException e) {
      out.put("code", e.getStatus().getCode().name());
      out.put("message", String.valueOf(e.getStatus().getDescription()));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static int accepted(ServerSocket fake) {
    int n = 0;
    try {
      while (true) {
        fake.accept().close();
        n++;
      }
    } catch (IOException timeout) {
      return n;
    }
  }

  /**
   * The gRPC target of plugin process {@code pid}: its Unix socket, named after its pid in the
   * directory the agent offers every plugin, or the TCP port it listens on, found through its
   * file descriptors and {@code /proc/net/tcp} as {@code ss -ltp} would.
   */
  private static String address(long pid, String transport) throws IOException {
    if (transport.equals("unix")) {
      return Protocol.UNIX_ADDRESS_PREFIX + Path.of(System.getenv(Protocol.ENV_UNIX_SOCKET_DIR)).resolve(Protocol.pluginSocket(pid));
    }
    Set<String> inodes = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/" + pid + "/fd"))) {
      for (Path fd : fds) {
        try {
          String link = Files.readSymbolicLink(fd).toString();
          if (link.startsWith("socket:[")) {
            inodes.add(link.substring(8, link.length() - 1));
          }
        } catch (IOException ignored) {
          // closed meanwhile
        }
      }
    }
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines = Files.readAllLines(Path.of(table));
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        if (f[3].equals("0A") && inodes.contains(f[9])) {
          return "127.0.0.1:" + Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16);
        }
      }
    }
    throw new IOException("process " + pid + " listens on no TCP port");
  }

  /** Calls the broker itself, with whatever headers and metadata it likes. */
  private void broker(JsonNode in, Map<String, Object> out) throws InterruptedException {
    out.putAll(callBroker(brokerAddress, in.path("target").asText("HelloPlugin"), in.path("credential").asText("")));
  }

  static Map<String, Object> callBroker(String address, String target, String credential) throws InterruptedException {
    Map<String, Object> out = new LinkedHashMap<>();
    ManagedChannel channel = Grpc.newChannelBuilder(
            address.startsWith(Protocol.UNIX_ADDRESS_PREFIX) ? address : "dns:///" + address, InsecureChannelCredentials.create())
        .overrideAuthority("localhost").build();
    try {
      AgentServiceGrpc.AgentServiceBlockingStub stub =
          AgentServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      if (!credential.isEmpty()) {
        Metadata h = new Metadata();
        h.put(Headers.CREDENTIAL, credential);
        stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
      }
      try {
        out.put("visible", stub.listPlugins(ListPluginsRequest.getDefaultInstance()).getPluginsList());
      } catch (StatusRuntimeException e) {
        out.put("listCode", e.getStatus().getCode().name());
      }
      stub.callPlugin(PluginCallRequest.newBuilder()
          .setPluginName(target).setMethod("hello").setAction("read").build());
      out.put("code", "OK");
    } catch (StatusRuntimeException e) {
      out.put("code", e.getStatus().getCode().name());
      out.put("message", String.valueOf(e.getStatus().getDescription()));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    return out;
  }

  /** Starts a child process (a JVM running {@link Child}) that calls the broker for it. */
  private void child(JsonNode in, Map<String, Object> out) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-cp", System.getProperty("java.class.path"), Child.class.getName(), brokerAddress, in.path("target").asText()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    out.put("childPid", p.pid());
    out.put("output", text.strip());
  }

  /** The attacker's child: calls the broker and prints the code and message on its last line. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      Map<String, Object> r = callBroker(args[0], args[1], "");
      System.out.println(r.get("code") + " " + r.getOrDefault("message", ""));
    }
  }

  public static void main(String[] args) {
    PluginHost.serve(new AttackerPlugin(args[0]));
  }
}
