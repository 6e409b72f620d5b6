package io.dtac.broker.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessPolicyTest {
  @TempDir Path dir;

  @Test
  void noPolicyAllowsEverything() {
    AccessPolicy.Decision d = AccessPolicy.allowAll().decide("A", "B", "write", "x");
    assertTrue(d.allowed());
    assertEquals("default", d.ruleId());
  }

  @Test
  void firstMatchingRuleWins() {
    AccessPolicy p =
        AccessPolicy.builder()
            .deny("no-writes", "*", "Store", "write:*")
            .allow("all-store", "*", "Store", "*")
            .build();
    assertEquals("no-writes", p.decide("A", "Store", "write", "item").ruleId());
    assertFalse(p.decide("A", "Store", "write", "item").allowed());
    assertEquals("all-store", p.decide("A", "Store", "read", "item").ruleId());
  }

  @Test
  void wildcardsMatchAnyRunOfCharacters() {
    AccessPolicy p =
        AccessPolicy.builder()
            .defaultEffect(AccessPolicy.Effect.DENY)
            .allow("calc-family", "Calc*", "*Plugin", "*:hello")
            .allow("readers", "Reader", "Hello*", "read:*")
            .build();
    assertTrue(p.decide("CalculatorPlugin", "HelloPlugin", "create", "hello").allowed());
    assertTrue(p.decide("Calc", "Plugin", "read", "hello").allowed());
    assertFalse(p.decide("Calculator", "HelloPlugin", "read", "hello2").allowed());
    assertFalse(p.decide("MyCalc", "HelloPlugin", "read", "hello").allowed());
    assertTrue(p.decide("Reader", "HelloPlugin", "read", "any/path").allowed());
    assertFalse(p.decide("Reader", "HelloPlugin", "write", "any").allowed());
  }

  @Test
  void patternsAreCaseSensitiveLikePluginNamesButActionsAreNot() {
    AccessPolicy p =
        AccessPolicy.builder()
            .defaultEffect(AccessPolicy.Effect.DENY)
            .allow("r", "A", "HelloPlugin", "read:hello")
            .build();
    assertTrue(p.decide("A", "HelloPlugin", "READ", "hello").allowed());
    assertFalse(p.decide("A", "helloplugin", "read", "hello").allowed());
    assertFalse(p.decide("a", "HelloPlugin", "read", "hello").allowed());
  }

  @Test
  void patternCharactersOtherThanStarAreLiteral() {
    AccessPolicy p =
        AccessPolicy.builder().defaultEffect(AccessPolicy.Effect.DENY)
            .allow("dots", "a.b", "T", "read:x.y").build();
    assertTrue(p.decide("a.b", "T", "read", "x.y").allowed());
    assertFalse(p.decide("aXb", "T", "read", "x.y").allowed());
    assertFalse(p.decide("a.b", "T", "read", "xzy").allowed());
  }

  @Test
  void defaultEffectDecidesWhenNoRuleMatches() {
    AccessPolicy p =
        AccessPolicy.builder()
            .defaultEffect(AccessPolicy.Effect.DENY)
            .allow("one", "A", "B", "read:x")
            .build();
    AccessPolicy.Decision d = p.decide("A", "B", "read", "y");
    assertFalse(d.allowed());
    assertTrue(d.rule().isEmpty());
    assertEquals(
        "the default effect (deny) of the broker's builder, as no rule matches", d.reason());
  }

  @Test
  void malformedRulesAreRefusedWithWhatToWrite() {
    IllegalArgumentException noColon =
        assertThrows(IllegalArgumentException.class,
            () -> AccessPolicy.builder().allow("x", "A", "B", "hello"));
    assertEquals(
        "rule 1 ('x') of the broker's builder: operation 'hello' must be ACTION:PATH (e.g."
            + " read:hello, *:hello, read:*) or *",
        noColon.getMessage());
    IllegalArgumentException badAction =
        assertThrows(IllegalArgumentException.class,
            () -> AccessPolicy.builder().allow("x", "A", "B", "get:hello"));
    assertTrue(badAction.getMessage().contains("expected create, read, write, delete"));
    IllegalArgumentException empty =
        assertThrows(IllegalArgumentException.class,
            () -> AccessPolicy.builder().allow("x", "", "B", "*"));
    assertTrue(empty.getMessage().contains("'caller' is empty; use '*'"));
    IllegalArgumentException twice =
        assertThrows(IllegalArgumentException.class,
            () -> AccessPolicy.builder().allow("x", "A", "B", "*").deny("x", "C", "D", "*").build());
    assertTrue(twice.getMessage().contains("two rules have the id 'x'"));
  }

  @Test
  void patternsWithWhitespaceAtTheirEndsAreRefusedByTheBuilderNamingTheRuleAndField() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class,
            () -> AccessPolicy.builder()
                .allow("ok", "A", "B", "*")
                .deny("calc-off", "CalculatorPlugin ", "SecretPlugin", "*"));
    assertEquals(
        "rule 2 ('calc-off') of the broker's builder: caller 'CalculatorPlugin ' has whitespace at"
            + " its start or end; patterns match exactly, so it would not match 'CalculatorPlugin':"
            + " write it without",
        e.getMessage());
    assertTrue(
        assertThrows(IllegalArgumentException.class,
                () -> AccessPolicy.builder().deny("t", "A", "\tB", "*"))
            .getMessage().startsWith("rule 1 ('t') of the broker's builder: target '\tB' has whitespace"));
    assertTrue(
        assertThrows(IllegalArgumentException.class,
                () -> AccessPolicy.builder().deny("o", "A", "B", "read:hello "))
            .getMessage().startsWith("rule 1 ('o') of the broker's builder: operation 'read:hello ' has whitespace"));
    assertTrue(
        assertThrows(IllegalArgumentException.class,
                () -> AccessPolicy.builder().deny(" i", "A", "B", "*"))
            .getMessage().startsWith("rule 1 (' i') of the broker's builder: id ' i' has whitespace"));
  }

  @Test
  void patternsWithCharactersNoPluginNameHoldsAreRefused() {
    String[][] cases = {
      {"Hello Plugin", "a space"},
      {"A>B", "'>'"},
      {"Calc:*", "':'"},
      {"a/b", "'/'"},
      {"Caf\u00e9", "the character U+00E9"},
    };
    for (String[] c : cases) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> AccessPolicy.builder().deny("r", c[0], "B", "*"));
      assertEquals(
          "rule 1 ('r') of the broker's builder: caller '" + c[0] + "' holds " + c[1] + ", which no"
              + " plugin name holds, so it would never match; plugin names are letters, digits, '.', '_'"
              + " and '-', starting with a letter or digit, at most 128 characters, and '*' matches any"
              + " run of characters",
          e.getMessage());
    }
  }

  @Test
  void reservedNamesAreRefusedAsPatternsButMayStartOne() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AccessPolicy.builder().allow("h", "agent", "B", "*"));
    assertTrue(e.getMessage().startsWith(
        "rule 1 ('h') of the broker's builder: caller 'agent' is a name the broker reserves"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> AccessPolicy.builder().allow("u", "A", "Unauthenticated", "*"));
    AccessPolicy p = AccessPolicy.builder().deny("agents", "agent*", "*", "*").build();
    assertFalse(p.decide("agentSmith", "B", "read", "x").allowed());
  }

  @Test
  void policyFilesWithStrayWhitespaceOrBadCharactersAreRefusedNamingTheRuleAndField() throws Exception {
    Path yaml = write("w.yaml", String.join("\n",
        "defaultEffect: deny",
        "rules:",
        "  - id: ok",
        "    caller: A",
        "    target: B",
        "    effect: allow",
        "  - id: calc-off",
        "    caller: \"CalculatorPlugin \"",
        "    target: SecretPlugin",
        "    effect: deny",
        ""));
    assertEquals(
        "access policy file " + yaml + ", rule 2 ('calc-off'): caller 'CalculatorPlugin ' has whitespace"
            + " at its start or end; patterns match exactly, so it would not match 'CalculatorPlugin':"
            + " write it without",
        readError("w.yaml"));
    Path json = write("c.json",
        "{\"defaultEffect\":\"deny\",\"rules\":[{\"caller\":\"A\",\"target\":\"Hello>World\",\"effect\":\"allow\"}]}");
    assertTrue(
        readError("c.json").startsWith("access policy file " + json + ", rule 1 ('rule 1'): target 'Hello>World'"
            + " holds '>', which no plugin name holds"),
        readError("c.json"));
  }

  @Test
  void jsonAndYamlFilesReadTheSame() throws Exception {
    Path json = dir.resolve("policy.json");
    Files.writeString(json, "{\"defaultEffect\":\"deny\",\"rules\":[{\"id\":\"calc-hello\","
        + "\"caller\":\"CalculatorPlugin\",\"target\":\"HelloPlugin\",\"operation\":\"read:hello\","
        + "\"effect\":\"allow\"},{\"caller\":\"*\",\"target\":\"*\",\"effect\":\"deny\"}]}");
    Path yaml = dir.resolve("policy.yaml");
    Files.writeString(yaml, String.join("\n",
        "defaultEffect: deny",
        "rules:",
        "  - id: calc-hello",
        "    caller: CalculatorPlugin",
        "    target: HelloPlugin",
        "    operation: \"read:hello\"",
        "    effect: allow",
        "  - caller: \"*\"",
        "    target: \"*\"",
        "    effect: deny",
        ""));
    for (Path f : new Path[] {json, yaml}) {
      AccessPolicy p = AccessPolicy.read(f);
      assertEquals(AccessPolicy.Effect.DENY, p.defaultEffect());
      assertEquals(2, p.rules().size());
      assertEquals("calc-hello: allow CalculatorPlugin -> HelloPlugin read:hello", p.rules().get(0).toString());
      assertEquals("rule 2", p.rules().get(1).id(), "a rule without id is named by its position");
      assertEquals("*", p.rules().get(1).operation(), "operation defaults to *");
      assertTrue(p.decide("CalculatorPlugin", "HelloPlugin", "read", "hello").allowed());
      assertEquals(
          "rule 'rule 2' (rule 2 of " + f + ")",
          p.decide("CalculatorPlugin", "HelloPlugin", "write", "hello").reason());
    }
  }

  @Test
  void aRuleInAPolicyFileCarriesARateLimit() throws Exception {
    write("limited.yaml", String.join("\n",
        "defaultEffect: allow",
        "rules:",
        "  - id: slow-lane",
        "    caller: \"*\"",
        "    target: HelloPlugin",
        "    effect: allow",
        "    rate_limit: {calls: 10, per: 2s, max_in_flight: 3}",
        ""));
    AccessPolicy p = AccessPolicy.read(dir.resolve("limited.yaml"));
    assertEquals(new RateLimit(10, java.time.Duration.ofSeconds(2), 3), p.rules().get(0).rateLimit().orElseThrow());
    assertEquals(new RateLimit(10, java.time.Duration.ofSeconds(2), 3),
        p.decide("Alpha", "HelloPlugin", "read", "hello").rule().orElseThrow().rateLimit().orElseThrow());
    write("bad-limit.yaml", String.join("\n",
        "defaultEffect: allow",
        "rules:",
        "  - id: x",
        "    caller: \"*\"",
        "    target: \"*\"",
        "    effect: allow",
        "    rate_limit: {calls: 0}",
        ""));
    String e = readError("bad-limit.yaml");
    assertTrue(e.contains("rule 1 ('x')") && e.contains("'calls' must be a whole number of at least 1"), e);
    write("deny-limit.yaml", String.join("\n",
        "defaultEffect: allow",
        "rules:",
        "  - id: y",
        "    caller: \"*\"",
        "    target: \"*\"",
        "    effect: deny",
        "    rate_limit: {calls: 1}",
        ""));
    String d = readError("deny-limit.yaml");
    assertTrue(d.contains("only an allowing rule can have a rate_limit"), d);
  }

  @Test
  void policyFileMistakesNameTheFileTheRuleAndTheField() throws Exception {
    assertEquals(
        "access policy file " + write("a.yaml", "defaultEffect: deny\nrules:\n  - caller: A\n    target: B\n    efect: deny\n")
            + ", rule 1 has an unknown field 'efect'; known fields: caller, effect, id, operation, rate_limit, target",
        readError("a.yaml"));
    assertEquals(
        "access policy file " + write("b.json", "{\"rules\":[]}")
            + " has no 'defaultEffect'; say 'allow' or 'deny' for calls no rule matches",
        readError("b.json"));
    assertEquals(
        "access policy file " + write("c.json", "{\"defaultEffect\":\"deny\",\"rules\":[{\"id\":\"r\",\"caller\":\"A\",\"target\":\"B\",\"effect\":\"maybe\"}]}")
            + ", rule 1 ('r'): effect must be 'allow' or 'deny', got \"maybe\"",
        readError("c.json"));
    assertEquals(
        "access policy file " + write("d.json", "{\"defaultEffect\":\"deny\",\"rules\":[{\"caller\":\"A\",\"target\":\"B\",\"operation\":\"hello\",\"effect\":\"allow\"}]}")
            + ", rule 1 ('rule 1'): operation 'hello' must be ACTION:PATH (e.g. read:hello, *:hello, read:*) or *",
        readError("d.json"));
    assertTrue(
        readError(write("e.json", "{\"defaultEffect\": \"deny\",").getFileName().toString())
            .startsWith("access policy file " + dir.resolve("e.json") + " is not valid JSON: "));
    assertEquals(
        "access policy file " + write("f.json", "{\"defaultEffect\":\"deny\",\"rules\":[{\"target\":\"B\",\"effect\":\"allow\"}]}")
            + ", rule 1 ('rule 1') has no 'caller'; name a plugin, or use '*' for any plugin",
        readError("f.json"));
  }

  private Path write(String name, String content) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, content);
    return f;
  }

  private String readError(String name) {
    return assertThrows(IllegalArgumentException.class, () -> AccessPolicy.read(dir.resolve(name)))
        .getMessage();
  }
}
