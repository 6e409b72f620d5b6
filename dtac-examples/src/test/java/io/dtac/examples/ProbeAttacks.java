package io.dtac.examples;

import io.dtac.core.internal.Headers;
import io.dtac.core.Protocol;
import com.google.protobuf.ByteString;
import io.dtac.broker.api.AgentServiceGrpc;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.api.RegisterRequest;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What a malicious plugin does with the TLS material it holds (its own, or a copy of another
 * process's), for {@link ProbePlugin}: dial a sibling plugin's own server directly, and pose as
 * the broker. Test-only.
 */
final class ProbeAttacks {

  private ProbeAttacks() {}

  /**
   * Calls {@code rpc} ("call" or "register") on the plugin server listening on {@code target}
   * ("unix:PATH" or "host:port") directly, bypassing the broker, presenting {@code certPem} /
   * {@code keyPem} as client certificate and trusting any server certificate (an attacker does
   * not care whom it reaches). Answers {ok, value} or {ok, code, message}.
   */
  static Map<String, Object> dial(
      String target, String certPem, String keyPem, String rpc, String method, String brokerAddress)
      throws IOException {
    ChannelCredentials credentials =
        TlsChannelCredentials.newBuilder()
            .keyManager(pem(certPem), pem(keyPem))
            .trustManager(new TrustAll())
            .build();
    ManagedChannelBuilder<?> b =
        Grpc.newChannelBuilder(target.startsWith(Protocol.UNIX_ADDRESS_PREFIX) ? target : "dns:///" + target, credentials);
    ManagedChannel channel = b.overrideAuthority("localhost").build();
    try {
      PluginServiceGrpc.PluginServiceBlockingStub stub =
          PluginServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      Map<String, Object> out = new LinkedHashMap<>();
      if ("register".equals(rpc)) {
        stub.register(
            RegisterRequest.newBuilder().setConfig("{}").setBrokerAddress(brokerAddress).build());
        out.put("ok", true);
        out.put("value", "registered");
      } else {
        String value =
            stub.call(
                    EndpointRequestMessage.newBuilder()
                        .setMethod(method)
                        .setRequest(
                            EndpointRequest.newBuilder()
                                .putMetadata(Protocol.CALLER_METADATA, "agent")
                                .setBody(ByteString.copyFromUtf8("{}")))
                        .build())
                .getResponse()
                .getValue()
                .toStringUtf8();
        out.put("ok", true);
        out.put("value", value);
      }
      return out;
    } catch (StatusRuntimeException e) {
      return Map.of(
          "ok", false,
          "code", e.getStatus().getCode().name(),
          "message", String.valueOf(e.getStatus().getDescription()));
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * A fake broker: an {@code AgentService} on loopback TCP serving TLS with {@code certPem} /
   * {@code keyPem}, asking for no client certificate, that counts the calls reaching it and the
   * broker credentials presented to it (what a redirected plugin would leak).
   */
  static final class FakeBroker {
    final Server server;
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger credentials = new AtomicInteger();

    FakeBroker(String certPem, String keyPem) throws IOException {
      ServerInterceptor counting =
          new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(
                ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
              calls.incrementAndGet();
              if (headers.containsKey(Headers.CREDENTIAL)) {
                credentials.incrementAndGet();
              }
              return next.startCall(call, headers);
            }
          };
      server =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                  TlsServerCredentials.newBuilder().keyManager(pem(certPem), pem(keyPem)).build())
              .addService(
                  ServerInterceptors.intercept(new AgentServiceGrpc.AgentServiceImplBase() {}, counting))
              .build()
              .start();
    }

    String address() {
      return "127.0.0.1:" + ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    }
  }

  private static InputStream pem(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.US_ASCII));
  }

  /** Trusts every server: the attacker's side of a direct dial. */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
