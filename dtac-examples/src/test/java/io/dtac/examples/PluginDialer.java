package io.dtac.examples;

import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointRequestMessage;
import io.dtac.broker.api.PluginServiceGrpc;
import io.dtac.broker.api.RegisterRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;

/**
 * A process the agent did not launch dialling a plugin's own server in plaintext, for tests:
 * {@code PluginDialer PORT METHOD BODY} calls {@code Call(METHOD, BODY)} and then {@code
 * Register} on 127.0.0.1:PORT and prints one line per call, {@code call CODE: DESCRIPTION} and
 * {@code register CODE: DESCRIPTION}.
 */
public final class PluginDialer {
  private PluginDialer() {}

  public static void main(String[] args) throws Exception {
    ManagedChannel channel =
        Grpc.newChannelBuilderForAddress("127.0.0.1", Integer.parseInt(args[0]), InsecureChannelCredentials.create()).build();
    try {
      PluginServiceGrpc.PluginServiceBlockingStub stub =
          PluginServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
      System.out.println("call " + outcome(() -> stub.call(EndpointRequestMessage.newBuilder().setMethod(args[1])
          .setRequest(EndpointRequest.newBuilder().setBody(com.google.protobuf.ByteString.copyFromUtf8(args[2])))
          .build())));
      System.out.println("register " + outcome(() -> stub.register(
          RegisterRequest.newBuilder().setConfig("{}").setBrokerAddress("127.0.0.1:1").build())));
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private static String outcome(Runnable rpc) {
    try {
      rpc.run();
      return "OK";
    } catch (StatusRuntimeException e) {
      Status s = e.getStatus();
      return s.getCode() + ": " + s.getDescription();
    }
  }
}
