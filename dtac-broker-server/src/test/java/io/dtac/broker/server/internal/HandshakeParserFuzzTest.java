package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded random lines, most of them mutations of valid handshake lines: the parser either
 * answers a well-formed ConnectInfo or throws HandshakeException, never anything else. Bounded
 * in time; rerun a failure with -Ddtac.fuzz.seed=SEED.
 */
class HandshakeParserFuzzTest {
  private static final long SEED = Long.getLong("dtac.fuzz.seed", System.nanoTime());
  private static final long BUDGET_NANOS = 1_500_000_000L;
  private static final String[] PIECES = {
    "CONNECT{{", "}}", ":", "[", "]", "=", ",", "%", "%zz", "%41", "grpc", "tcp", "unix",
    "127.0.0.1", "::1", "0", "65535", "65536", "-1", "plug_api_1.0", "plug_api_2.0", "tls=true",
    "\u0000", "\n", "\r", " ", "\u00e9", "\ud83d\ude00", "\ud800", "HelloPlugin", "",
  };

  @Test
  void parserAnswersOnlyConnectInfoOrHandshakeException() {
    Random random = new Random(SEED);
    long end = System.nanoTime() + BUDGET_NANOS;
    int accepted = 0;
    int refused = 0;
    int runs = 0;
    while (System.nanoTime() < end && runs < 200_000) {
      runs++;
      String line = random.nextInt(10) == 0 ? noise(random) : mutate(valid(random), random);
      try {
        HandshakeParser.ConnectInfo info = HandshakeParser.parse(line, "stem");
        accepted++;
        assertFalse(info.name().isEmpty(), line);
        assertTrue(info.name().chars().allMatch(c -> c > 0x20 && c < 0x7f), line);
        assertTrue(info.port() >= 1 && info.port() <= 65535, line);
        assertTrue(info.apiVersion().startsWith("plug_api_1."), line);
        assertEquals("tcp", info.transport(), line);
        assertFalse(info.rootPath().isEmpty(), line);
      } catch (HandshakeException e) {
        refused++;
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty(), "empty message for " + line);
      } catch (RuntimeException e) {
        fail("seed " + SEED + ": parse(" + io.dtac.core.internal.Messages.quote(line) + ") threw " + e, e);
      }
    }
    assertTrue(accepted > 0 && refused > 0,
        "seed " + SEED + ": the generator should produce both valid and invalid lines ("
            + accepted + " accepted, " + refused + " refused)");
  }

  private static String valid(Random r) {
    String name = r.nextBoolean() ? "HelloPlugin" : "P" + r.nextInt(1000);
    String root = r.nextBoolean() ? "" : "root" + r.nextInt(10);
    int port = 1 + r.nextInt(65535);
    String opts = r.nextBoolean() ? "" : "tls=" + r.nextBoolean() + ",x=a%20b";
    return "CONNECT{{" + name + ":" + root + ":grpc:tcp:127.0.0.1:" + port + ":plug_api_1.0:["
        + opts + "]}}";
  }

  private static String mutate(String line, Random r) {
    StringBuilder b = new StringBuilder(line);
    int edits = r.nextInt(4);
    for (int i = 0; i < edits; i++) {
      int at = b.length() == 0 ? 0 : r.nextInt(b.length() + 1);
      switch (r.nextInt(5)) {
        case 0 -> b.insert(at, PIECES[r.nextInt(PIECES.length)]);
        case 1 -> {
          if (at < b.length()) {
            b.deleteCharAt(at);
          }
        }
        case 2 -> {
          if (at < b.length()) {
            b.setCharAt(at, (char) r.nextInt(0x3000));
          }
        }
        case 3 -> b.setLength(Math.min(b.length(), at));
        default -> b.insert(at, "x".repeat(r.nextInt(5000)));
      }
    }
    return b.toString();
  }

  private static String noise(Random r) {
    StringBuilder b = new StringBuilder();
    int n = r.nextInt(200);
    for (int i = 0; i < n; i++) {
      b.append(r.nextBoolean() ? PIECES[r.nextInt(PIECES.length)] : String.valueOf((char) r.nextInt(0x10000)));
    }
    return b.toString();
  }
}
