package io.dtac.broker.server.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.RateLimit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/**
 * Reads an {@link AccessPolicy} from a JSON or YAML file. Every mistake is reported with the
 * file, the rule's position and the field, and unknown fields are refused: a misspelt
 * {@code efect: deny} must not turn into a silently missing deny.
 */
public final class PolicyFileReader {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> TOP_FIELDS = Set.of("defaultEffect", "rules");
  private static final Set<String> RULE_FIELDS = Set.of("id", "caller", "target", "operation", "effect", "rate_limit");

  private PolicyFileReader() {}

  /** Reads {@code file}; YAML for *.yaml and *.yml, JSON otherwise. */
  public static AccessPolicy read(Path file) throws IOException {
    return parse(Files.readAllBytes(file), file);
  }

  /** Parses the bytes of {@code file}. */
  public static AccessPolicy parse(byte[] content, Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean yaml = name.endsWith(".yaml") || name.endsWith(".yml");
    String where = "access policy file " + file;
    JsonNode root;
    try {
      root = (yaml ? YAML : JSON).readTree(content);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          where + " is not valid " + (yaml ? "YAML" : "JSON") + ": " + e.getOriginalMessage()
              + location(e));
    } catch (IOException e) {
      throw new IllegalArgumentException(where + " cannot be parsed: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(
          where + " must hold an object with 'defaultEffect' and 'rules'");
    }
    refuseUnknown(root, TOP_FIELDS, where);
    AccessPolicy.Builder policy = AccessPolicy.builder().source(file.toString());
    JsonNode def = root.get("defaultEffect");
    if (def == null) {
      throw new IllegalArgumentException(
          where + " has no 'defaultEffect'; say 'allow' or 'deny' for calls no rule matches");
    }
    policy.defaultEffect(effect(def, where + ": defaultEffect"));
    JsonNode rules = root.get("rules");
    if (rules != null && !rules.isNull()) {
      if (!rules.isArray()) {
        throw new IllegalArgumentException(where + ": 'rules' must be a list of rules");
      }
      for (int i = 0; i < rules.size(); i++) {
        policy.rule(rule(rules.get(i), i + 1, where));
      }
    }
    try {
      return policy.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper LIMIT_READER =
      new com.fasterxml.jackson.databind.ObjectMapper();
  private static final com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, Object>> MAP =
      new com.fasterxml.jackson.core.type.TypeReference<>() {};

  private static AccessPolicy.Rule rule(JsonNode node, int position, String where) {
    String at = where + ", rule " + position;
    if (!node.isObject()) {
      throw new IllegalArgumentException(
          at + " must be an object with caller, target, operation and effect");
    }
    refuseUnknown(node, RULE_FIELDS, at);
    String id = text(node, "id", at, "rule " + position);
    at = where + ", rule " + position + " ('" + id + "')";
    String caller = text(node, "caller", at, null);
    String target = text(node, "target", at, null);
    String operation = text(node, "operation", at, "*");
    JsonNode effect = node.get("effect");
    if (effect == null) {
      throw new IllegalArgumentException(at + " has no 'effect'; say 'allow' or 'deny'");
    }
    AccessPolicy.Effect e = effect(effect, at + ": effect");
    try {
      AccessPolicy.Rule rule = new AccessPolicy.Rule(id, caller, target, operation, e);
      JsonNode limit = node.get("rate_limit");
      if (limit != null && !limit.isNull()) {
        if (!limit.isObject()) {
          throw new IllegalArgumentException(
              "'rate_limit' must be an object, e.g. {\"calls\": 100, \"per\": \"1s\", \"max_in_flight\": 10}");
        }
        rule = rule.withRateLimit(RateLimit.parse(LIMIT_READER.convertValue(limit, MAP)));
      }
      return rule;
    } catch (IllegalArgumentException invalid) {
      throw new IllegalArgumentException(at + ": " + invalid.getMessage(), invalid);
    }
  }

  private static String text(JsonNode node, String field, String at, String fallback) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      if (fallback == null) {
        throw new IllegalArgumentException(
            at + " has no '" + field + "'; name a plugin, or use '*' for any plugin");
      }
      return fallback;
    }
    if (!v.isTextual()) {
      throw new IllegalArgumentException(at + ": '" + field + "' must be a string, got " + v);
    }
    return v.asText();
  }

  private static AccessPolicy.Effect effect(JsonNode v, String at) {
    String s = v.isTextual() ? v.asText().trim().toLowerCase(Locale.ROOT) : "";
    switch (s) {
      case "allow":
        return AccessPolicy.Effect.ALLOW;
      case "deny":
        return AccessPolicy.Effect.DENY;
      default:
        throw new IllegalArgumentException(at + " must be 'allow' or 'deny', got " + v);
    }
  }

  private static void refuseUnknown(JsonNode node, Set<String> known, String at) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!known.contains(f)) {
        throw new IllegalArgumentException(
            at + " has an unknown field '" + f + "'; known fields: " + String.join(", ", known.stream().sorted().toList()));
      }
    }
  }

  private static String location(JsonProcessingException e) {
    return e.getLocation() == null
        ? ""
        : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
  }
}
