package io.dtac.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginInfo;
import io.dtac.broker.server.PluginState;
import io.dtac.broker.server.RateLimit;
import io.dtac.core.Action;
import io.dtac.core.PluginCallException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.StatusCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rate limits against callers that flood, with real plugin processes (Alpha, Beta, Gamma): a
 * caller over its access policy rule's rate, and a caller over its calls-in-flight limit, are
 * refused at once with RESOURCE_EXHAUSTED naming the limit; the target is not reached; every
 * refusal is audited (rule {@code rate-limit}); and the broker keeps serving.
 */
class RateLimitIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int IN_FLIGHT = 4;
  private static final int RULE_CALLS = 3;
  @TempDir static Path tmp;
  private static PluginBroker broker;
  private static Path auditFile;

  @BeforeAll
  static void start() throws Exception {
    Path plugins = Files.createDirectories(tmp.resolve("plugins"));
    for (String name : List.of("Alpha", "Beta", "Gamma")) {
      Fixtures.testPlugin(plugins, name);
    }
    auditFile = tmp.resolve("audit.jsonl");
    broker =
        PluginBroker.builder()
            .pluginDirectory(plugins)
            .auditFile(auditFile)
            .callerLimit(new RateLimit(10_000, Duration.ofSeconds(1), IN_FLIGHT))
            .accessPolicy(AccessPolicy.builder()
                .rule(new AccessPolicy.Rule("alpha-beta", "Alpha", "Beta", "read:echo", AccessPolicy.Effect.ALLOW)
                    .withRateLimit(new RateLimit(RULE_CALLS, Duration.ofMinutes(10), 100)))
                .build())
            .build()
            .start();
    for (PluginInfo p : broker.plugins()) {
      assertEquals(PluginState.RUNNING, p.state(), p.toString());
    }
  }

  @AfterAll
  static void stop() {
    broker.close();
  }

  private static Request relayToBetaEcho() {
    return Request.builder().body("{\"path\":[\"Beta\"],\"method\":\"echo\"}").build();
  }

  private static List<JsonNode> refusals(String caller) throws Exception {
    return Files.readAllLines(auditFile).stream()
        .map(line -> {
          try {
            return JSON.readTree(line);
          } catch (Exception e) {
            throw new IllegalStateException(line, e);
          }
        })
        .filter(r -> r.get("rule").asText().equals("rate-limit") && r.get("caller").asText().equals(caller))
        .collect(Collectors.toList());
  }

  @Test
  void aCallerOverItsRulesRateIsRefusedAndAudited() throws Exception {
    int ok = 0;
    List<PluginCallException> refused = new ArrayList<>();
    for (int i = 0; i < RULE_CALLS + 2; i++) {
      try {
        broker.call("Alpha", "relay", Action.CREATE, relayToBetaEcho());
        ok++;
      } catch (PluginCallException e) {
        refused.add(e);
      }
    }
    assertEquals(RULE_CALLS, ok);
    assertEquals(2, refused.size());
    for (PluginCallException e : refused) {
      assertEquals(StatusCode.RESOURCE_EXHAUSTED, e.code(), e.getMessage());
      assertTrue(e.description().contains("caller 'Alpha' under access policy rule 'alpha-beta' may start at most 3 calls"),
          e.getMessage());
    }
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> refusals("Alpha").size() == 2);
    for (JsonNode r : refusals("Alpha")) {
      assertEquals("deny", r.get("decision").asText());
      assertEquals("Beta", r.get("target").asText());
      assertEquals("RESOURCE_EXHAUSTED", r.get("status").asText());
    }
    // Other callers, and Alpha's calls elsewhere, still get through.
    broker.call("Beta", "echo", Action.READ, Request.empty());
  }

  @Test
  void aFloodOfCallsInFlightIsCutAtTheLimitAndTheTargetSeesOnlyTheAdmitted() throws Exception {
    int startedBefore = stats("Gamma").get("started").asInt();
    int flood = 3 * IN_FLIGHT;
    List<CompletableFuture<Response>> calls = new ArrayList<>();
    for (int i = 0; i < flood; i++) {
      calls.add(broker.callAsync("Gamma", "slow", Action.READ,
          Request.builder().parameter("ms", "3000").build(), Duration.ofSeconds(30)));
    }
    int ok = 0;
    int overLimit = 0;
    for (CompletableFuture<Response> f : calls) {
      try {
        f.get();
        ok++;
      } catch (ExecutionException e) {
        PluginCallException p = (PluginCallException) e.getCause();
        assertEquals(StatusCode.RESOURCE_EXHAUSTED, p.code(), p.getMessage());
        assertTrue(p.description().contains("caller 'agent' has " + IN_FLIGHT + " calls in flight"), p.getMessage());
        overLimit++;
      }
    }
    assertEquals(IN_FLIGHT, ok, "exactly the limit got through");
    assertEquals(flood - IN_FLIGHT, overLimit);
    assertEquals(startedBefore + IN_FLIGHT, stats("Gamma").get("started").asInt(),
        "the refused calls never reached the target");
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> refusals("agent").size() >= flood - IN_FLIGHT);
    // The permits were released: the caller may call again.
    broker.call("Gamma", "slow", Action.READ, Request.builder().parameter("ms", "1").build());
  }

  private static JsonNode stats(String plugin) throws Exception {
    return JSON.readTree(broker.call(plugin, "stats", Action.READ, Request.empty()).value());
  }
}
