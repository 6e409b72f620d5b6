package io.dtac.broker.server.internal;

import io.dtac.core.internal.Headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.api.StringList;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.EnumSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Seeded random calls through the broker's whole call path (guard, interceptors, router, a
 * target): well-formed, malformed, mutated bytes, forged tokens and reserved metadata. Every
 * answer is OK or one of the statuses AgentService documents, with a message; afterwards nothing
 * is left in flight and the broker still serves. Bounded in time; rerun a failure with
 * -Ddtac.fuzz.seed=SEED.
 */
class CallPathFuzzTest {
  private static final long SEED = Long.getLong("dtac.fuzz.seed", System.nanoTime());
  private static final long BUDGET_NANOS = 2_000_000_000L;
  private static final int LIMIT = 32 * 1024;
  private static final Set<Status.Code> DOCUMENTED =
      EnumSet.of(
          Status.Code.OK,
          Status.Code.INVALID_ARGUMENT,
          Status.Code.NOT_FOUND,
          Status.Code.UNAVAILABLE,
          Status.Code.PERMISSION_DENIED,
          Status.Code.UNAUTHENTICATED,
          Status.Code.DEADLINE_EXCEEDED,
          Status.Code.FAILED_PRECONDITION,
          Status.Code.RESOURCE_EXHAUSTED);
  private static final String[] NAMES = {"Echo", "echo", "", "Hello", "E\u00e9cho", "\u0000", "Echo ", "\ud83d\ude00"};
  private static final String[] METHODS = {"echo", "", "ECHO", "echo/../x", "\n"};
  private static final String[] ACTIONS = {"read", "create", "READ", "write", "delete", "", "get", "r\u00e9ad"};

  @Test
  void everyAnswerIsADocumentedStatus() throws Exception {
    Random random = new Random(SEED);
    int[] seen = new int[Status.Code.values().length];
    try (GuardedBroker broker = new GuardedBroker(LIMIT)) {
      long end = System.nanoTime() + BUDGET_NANOS;
      int runs = 0;
      while (System.nanoTime() < end && runs < 20_000) {
        runs++;
        PluginCallRequest request = request(random);
        byte[] bytes = request.toByteArray();
        boolean mutated = random.nextInt(4) == 0;
        if (mutated) {
          bytes = mutate(bytes, random);
        }
        Metadata headers = new Metadata();
        if (random.nextInt(10) == 0) {
          headers.put(Headers.CALL_TOKEN, Long.toHexString(random.nextLong()));
        }
        Status status = broker.callRaw(bytes, headers);
        seen[status.getCode().value()]++;
        String what = "seed " + SEED + ", run " + runs + ": " + status;
        assertTrue(DOCUMENTED.contains(status.getCode()), what);
        if (!status.isOk()) {
          assertFalse(status.getDescription() == null || status.getDescription().isEmpty(), what);
        }
      }
      assertEquals(0, broker.chains.inFlight(), "call tokens left behind");
      assertEquals(0, broker.gate.inFlight(), "calls left in flight");
      PluginCallRequest ok =
          PluginCallRequest.newBuilder().setPluginName("Echo").setMethod("echo").setAction("read").build();
      assertEquals(Status.Code.OK, broker.callRaw(ok.toByteArray(), new Metadata()).getCode());
    }
    assertTrue(seen[Status.Code.OK.value()] > 0 && seen[Status.Code.INVALID_ARGUMENT.value()] > 0,
        "seed " + SEED + ": the generator should reach both successful and refused calls");
  }

  private static PluginCallRequest request(Random r) {
    PluginCallRequest.Builder b =
        PluginCallRequest.newBuilder()
            .setPluginName(pick(NAMES, r, 0.6))
            .setMethod(pick(METHODS, r, 0.7))
            .setAction(pick(ACTIONS, r, 0.6));
    if (r.nextBoolean()) {
      EndpointRequest.Builder req = EndpointRequest.newBuilder();
      int metadata = r.nextInt(4);
      for (int i = 0; i < metadata; i++) {
        String key = r.nextBoolean() ? "dtac-" + (r.nextBoolean() ? "caller" : "call-token") : "k" + i;
        req.putMetadata(key, "v" + r.nextInt());
      }
      int headers = r.nextInt(10) == 0 ? 2000 : r.nextInt(5);
      for (int i = 0; i < headers; i++) {
        req.putHeaders("h" + i, StringList.newBuilder().addValues("v" + i).build());
      }
      int body = r.nextInt(20) == 0 ? LIMIT + r.nextInt(LIMIT) : r.nextInt(256);
      byte[] bytes = new byte[body];
      r.nextBytes(bytes);
      req.setBody(ByteString.copyFrom(bytes));
      b.setRequest(req);
    }
    return b.build();
  }

  private static String pick(String[] values, Random r, double firstProbability) {
    return r.nextDouble() < firstProbability ? values[0] : values[r.nextInt(values.length)];
  }

  private static byte[] mutate(byte[] bytes, Random r) {
    byte[] copy = bytes.clone();
    if (copy.length == 0) {
      return new byte[] {(byte) r.nextInt(256)};
    }
    int edits = 1 + r.nextInt(3);
    for (int i = 0; i < edits; i++) {
      switch (r.nextInt(3)) {
        case 0 -> copy[r.nextInt(copy.length)] = (byte) r.nextInt(256);
        case 1 -> copy = java.util.Arrays.copyOf(copy, r.nextInt(copy.length + 1));
        default -> {
          byte[] longer = java.util.Arrays.copyOf(copy, copy.length + 1);
          longer[copy.length] = (byte) (0x80 | r.nextInt(128));
          copy = longer;
        }
      }
      if (copy.length == 0) {
        break;
      }
    }
    return copy;
  }
}
