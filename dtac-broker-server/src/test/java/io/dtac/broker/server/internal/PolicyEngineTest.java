package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.AccessPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyEngineTest {
  private static final CallerIdentity A = CallerIdentity.plugin("A");

  @TempDir Path dir;

  private static String policy(String effect) {
    return "{\"defaultEffect\":\"deny\",\"rules\":[{\"id\":\"a-to-b\",\"caller\":\"A\","
        + "\"target\":\"B\",\"effect\":\"" + effect + "\"}]}";
  }

  /** Replaces the file the way editors and deployment tools do: write aside, rename over. */
  private void replace(Path file, String content) throws Exception {
    Path tmp = Files.createTempFile(dir, "policy", ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void explicitReloadPutsTheChangedFileInForce() throws Exception {
    Path file = dir.resolve("policy.json");
    Files.writeString(file, policy("allow"));
    try (PolicyEngine engine = PolicyEngine.fromFile(file)) {
      assertTrue(engine.decide(A, "B", "read", "x").allowed());
      Files.writeString(file, policy("deny"));
      AccessPolicy now = engine.reload();
      assertSame(now, engine.current());
      assertFalse(engine.decide(A, "B", "read", "x").allowed());
    }
  }

  @Test
  void invalidFileKeepsThePreviousPolicyAndSaysWhy() throws Exception {
    Path file = dir.resolve("policy.json");
    Files.writeString(file, policy("allow"));
    try (PolicyEngine engine = PolicyEngine.fromFile(file)) {
      AccessPolicy before = engine.current();
      Files.writeString(file, policy("perhaps"));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, engine::reload);
      assertTrue(e.getMessage().contains("effect must be 'allow' or 'deny', got \"perhaps\""), e.getMessage());
      assertSame(before, engine.current());
      Files.delete(file);
      IllegalArgumentException gone = assertThrows(IllegalArgumentException.class, engine::reload);
      assertTrue(gone.getMessage().startsWith("cannot read access policy file " + file), gone.getMessage());
      assertSame(before, engine.current());
    }
  }

  @Test
  void watchedFileTakesEffectWhenItChanges() throws Exception {
    Path file = dir.resolve("policy.yaml");
    Files.writeString(file, "defaultEffect: allow\n");
    try (PolicyEngine engine = PolicyEngine.fromFile(file)) {
      engine.startWatching();
      assertTrue(engine.decide(A, "B", "read", "x").allowed());

      replace(file, "defaultEffect: deny\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> !engine.decide(A, "B", "read", "x").allowed());

      Files.writeString(file, "defaultEffect: allow\nrules:\n  - {caller: A, target: B, operation: 'write:*', effect: deny}\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.decide(A, "B", "read", "x").allowed());
      assertFalse(engine.decide(A, "B", "write", "x").allowed());
    }
  }

  @Test
  void watcherIgnoresABrokenFileAndPicksUpTheNextGoodOne() throws Exception {
    Path file = dir.resolve("policy.json");
    Files.writeString(file, policy("allow"));
    try (PolicyEngine engine = PolicyEngine.fromFile(file)) {
      engine.startWatching();
      AccessPolicy good = engine.current();
      replace(file, "{ not json");
      replace(file, policy("deny"));
      await().atMost(Duration.ofSeconds(10)).until(() -> engine.current() != good);
      assertFalse(engine.decide(A, "B", "read", "x").allowed());
    }
  }

  @Test
  void fixedPolicyCannotBeReloaded() {
    try (PolicyEngine engine = PolicyEngine.fixed(AccessPolicy.allowAll())) {
      IllegalStateException e = assertThrows(IllegalStateException.class, engine::reload);
      assertTrue(e.getMessage().contains("accessPolicyFile(path)"));
    }
  }

  @Test
  void hostCallsAreNotDecidedByThePolicy() {
    try (PolicyEngine engine =
        PolicyEngine.fixed(AccessPolicy.builder().defaultEffect(AccessPolicy.Effect.DENY).build())) {
      assertNull(engine.decide(CallerIdentity.host(), "B", "read", "x"));
      assertFalse(engine.decide(A, "B", "read", "x").allowed());
    }
  }

  @Test
  void aPluginIdentityIsDecidedByThePolicyWhateverItsName() {
    try (PolicyEngine engine =
        PolicyEngine.fixed(AccessPolicy.builder().defaultEffect(AccessPolicy.Effect.DENY).build())) {
      AccessPolicy.Decision d = engine.decide(CallerIdentity.plugin(Protocol.HOST_CALLER), "B", "read", "x");
      assertFalse(d.allowed(), "a plugin called 'agent' is not the host");
      assertEquals("default", d.ruleId());
    }
  }

  @Test
  void closeStopsTheWatcherThread() throws Exception {
    Path file = dir.resolve("policy.json");
    Files.writeString(file, policy("allow"));
    PolicyEngine engine = PolicyEngine.fromFile(file);
    engine.startWatching();
    engine.close();
    engine.close();
    assertEquals(0, Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("dtac-policy-watcher") && t.isAlive()).count());
  }
}
