package io.dtac.broker.server;

import io.dtac.broker.server.internal.PluginNames;
import io.dtac.broker.server.internal.PolicyFileReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Who may call whom through the broker: an ordered list of rules {@code caller -> target ->
 * operation} with an effect (allow or deny), and a default effect for calls no rule matches.
 *
 * <p><b>The first matching rule wins</b>, like a firewall: rules are tried in order and the first
 * whose caller, target and operation all match decides. Put narrow denies before broad allows.
 * When no rule matches, the default effect decides.
 *
 * <p>Patterns are case-sensitive globs in which {@code *} matches any run of characters
 * ({@code "*"}, {@code "Calc*"}). Caller and target patterns hold only characters plugin names
 * hold, plus {@code *}; no pattern has whitespace at its start or end. A pattern that could never
 * match is refused when the policy is built or read, naming the rule and the field. The
 * operation is {@code ACTION:PATH}, the key the protocol uses for an endpoint, e.g. {@code read:hello}; {@code *:hello}, {@code read:*} and {@code *} are
 * operation patterns too.
 *
 * <pre>{@code
 * AccessPolicy policy = AccessPolicy.builder()
 *     .defaultEffect(AccessPolicy.Effect.DENY)
 *     .allow("calculator-reads-hello", "CalculatorPlugin", "HelloPlugin", "read:hello")
 *     .build();
 * }</pre>
 *
 * <p>The same policy as a file ({@link #read(Path)}, JSON or YAML):
 *
 * <pre>
 * defaultEffect: deny
 * rules:
 *   - id: calculator-reads-hello
 *     caller: CalculatorPlugin
 *     target: HelloPlugin
 *     operation: "read:hello"
 *     effect: allow
 * </pre>
 *
 * <p>A policy governs plugin callers. Calls the host application makes itself through {@link
 * PluginBroker#call} (shown as caller {@value io.dtac.core.Protocol#HOST_CALLER}, a name no
 * plugin may take) are not subject to it:
 * the host has its own front door (the REST gateway's authentication) and already controls every
 * plugin.
 *
 * <p>Immutable and thread-safe.
 */
public final class AccessPolicy {
  /** What a rule, or the default, does with a call. */
  public enum Effect {
    /** The call goes ahead. */
    ALLOW,
    /** The call is refused with PERMISSION_DENIED, naming the deciding rule. */
    DENY;

    /**
     * The effect's name in policy files and audit records.
     *
     * @return "allow" or "deny"
     */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final AccessPolicy ALLOW_ALL = builder().source("the built-in policy").build();

  private final Effect defaultEffect;
  private final List<Rule> rules;
  private final String source;

  private AccessPolicy(Builder b) {
    this.defaultEffect = b.defaultEffect;
    this.rules = List.copyOf(b.rules);
    this.source = b.source;
  }

  /**
   * The policy of a broker configured with none.
   *
   * @return the shared policy with no rules and the default effect ALLOW
   */
  public static AccessPolicy allowAll() {
    return ALLOW_ALL;
  }

  /**
   * Starts building a policy: no rules, default effect ALLOW, until set otherwise.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads a policy file: YAML when its name ends in {@code .yaml} or {@code .yml}, otherwise
   * JSON. Unknown fields are errors, so that a misspelt field cannot silently widen the policy.
   *
   * @param file the policy file
   * @return the policy, with the file as its {@link #source()}
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException naming the file, the rule and the field that is wrong
   */
  public static AccessPolicy read(Path file) throws IOException {
    return PolicyFileReader.read(file);
  }

  /**
   * What happens to a call no rule matches.
   *
   * @return the default effect
   */
  public Effect defaultEffect() {
    return defaultEffect;
  }

  /**
   * The rules.
   *
   * @return an unmodifiable list, in the order the rules are tried
   */
  public List<Rule> rules() {
    return rules;
  }

  /**
   * Where the policy came from, for messages.
   *
   * @return a file path, or what {@link Builder#source(String)} set ("the broker's builder" by
   *     default)
   */
  public String source() {
    return source;
  }

  /**
   * Decides a call: the first rule matching {@code caller}, {@code target} and {@code
   * action:method} decides, else the default effect. Thread-safe; never blocks.
   *
   * @param caller the calling plugin's name
   * @param target the target plugin's name
   * @param action the endpoint's action, e.g. "read" (compared lower-case)
   * @param method the endpoint's path, e.g. "hello"
   * @return the effect, with the rule that decided (if any) and why
   */
  public Decision decide(String caller, String target, String action, String method) {
    String operation = action.toLowerCase(Locale.ROOT) + ":" + method;
    for (int i = 0; i < rules.size(); i++) {
      Rule r = rules.get(i);
      if (r.matches(caller, target, operation)) {
        return new Decision(r.effect, r, i + 1, source);
      }
    }
    return new Decision(defaultEffect, null, 0, source);
  }

  @Override
  public String toString() {
    return "AccessPolicy[" + source + ": " + rules.size() + " rules, default " + defaultEffect.wireName() + "]";
  }

  /** One rule: caller, target and operation patterns, and the effect when all three match. */
  public static final class Rule {
    private final String id;
    private final String caller;
    private final String target;
    private final String operation;
    private final Effect effect;
    private final Pattern callerPattern;
    private final Pattern targetPattern;
    private final Pattern operationPattern;
    private final RateLimit rateLimit;

    /**
     * A rule, checked at once: a pattern that could never match is refused here.
     *
     * @param id a name for the rule, shown in denials and audit records
     * @param caller a glob over caller plugin names
     * @param target a glob over target plugin names
     * @param operation {@code ACTION:PATH} globs, or {@code *}
     * @param effect what the rule does with a call it matches
     * @throws IllegalArgumentException naming the field, if one is empty or has whitespace at
     *     its start or end, if a name pattern holds a character no plugin name holds (plugin
     *     names use letters, digits, '.', '_' and '-') or is a name the broker reserves, or if
     *     the operation is malformed: such a pattern would never match
     * @throws NullPointerException if {@code effect} is null
     */
    public Rule(String id, String caller, String target, String operation, Effect effect) {
      this.id = requireText(id, "id");
      this.caller = namePattern(caller, "caller");
      this.target = namePattern(target, "target");
      this.operation = checkOperation(requireText(operation, "operation"));
      this.effect = Objects.requireNonNull(effect, "effect");
      this.callerPattern = glob(caller);
      this.targetPattern = glob(target);
      this.operationPattern = glob(operation);
      this.rateLimit = null;
    }

    private Rule(Rule r, RateLimit rateLimit) {
      this.id = r.id;
      this.caller = r.caller;
      this.target = r.target;
      this.operation = r.operation;
      this.effect = r.effect;
      this.callerPattern = r.callerPattern;
      this.targetPattern = r.targetPattern;
      this.operationPattern = r.operationPattern;
      this.rateLimit = rateLimit;
    }

    /**
     * This rule with a rate limit for the calls it allows: each caller it matches gets its own
     * allowance, in addition to the broker's per-caller and per-target limits.
     *
     * @param limit the limit
     * @return a new rule
     * @throws IllegalArgumentException if this rule denies (a denied call is never limited)
     */
    public Rule withRateLimit(RateLimit limit) {
      Objects.requireNonNull(limit, "limit");
      if (effect != Effect.ALLOW) {
        throw new IllegalArgumentException(
            "rule '" + id + "' denies; only an allowing rule can have a rate_limit");
      }
      return new Rule(this, limit);
    }

    /**
     * The rate limit of the calls this rule allows, per caller.
     *
     * @return the limit, or empty if the rule has none
     */
    public Optional<RateLimit> rateLimit() {
      return Optional.ofNullable(rateLimit);
    }

    /**
     * The rule's name.
     *
     * @return its id, shown in denials and audit records
     */
    public String id() {
      return id;
    }

    /**
     * Which callers the rule applies to.
     *
     * @return the glob over caller plugin names
     */
    public String caller() {
      return caller;
    }

    /**
     * Which targets the rule applies to.
     *
     * @return the glob over target plugin names
     */
    public String target() {
      return target;
    }

    /**
     * Which endpoints of the target the rule applies to.
     *
     * @return the glob over {@code ACTION:PATH}, or {@code *}
     */
    public String operation() {
      return operation;
    }

    /**
     * What the rule does with a call it matches.
     *
     * @return its effect
     */
    public Effect effect() {
      return effect;
    }

    boolean matches(String callerName, String targetName, String op) {
      return callerPattern.matcher(callerName).matches()
          && targetPattern.matcher(targetName).matches()
          && operationPattern.matcher(op).matches();
    }

    @Override
    public String toString() {
      return id + ": " + effect.wireName() + " " + caller + " -> " + target + " " + operation
          + (rateLimit == null ? "" : " (" + rateLimit + ")");
    }

    private static String requireText(String value, String field) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(
            "rule field '" + field + "' is empty; "
                + (field.equals("id") ? "name the rule" : "use '*' to match anything"));
      }
      if (!value.equals(value.strip())) {
        throw new IllegalArgumentException(
            field + " '" + value + "' has whitespace at its start or end; patterns match exactly,"
                + " so it would not match '" + value.strip() + "': write it without");
      }
      return value;
    }

    private static String namePattern(String value, String field) {
      requireText(value, field);
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c != '*' && !PluginNames.nameChar(c)) {
          throw new IllegalArgumentException(
              field + " '" + value + "' holds " + PluginNames.describe(c) + ", which no plugin name"
                  + " holds, so it would never match; plugin names are " + PluginNames.RULE
                  + ", and '*' matches any run of characters");
        }
      }
      if (!value.contains("*") && PluginNames.isReserved(value)) {
        throw new IllegalArgumentException(
            field + " '" + value + "' is a name the broker reserves for itself and no plugin can"
                + " have, so it would never match (the host's own calls are not subject to the"
                + " policy)");
      }
      return value;
    }

    private static String checkOperation(String operation) {
      if (operation.equals("*")) {
        return operation;
      }
      int colon = operation.indexOf(':');
      if (colon <= 0 || colon == operation.length() - 1) {
        throw new IllegalArgumentException(
            "operation '" + operation + "' must be ACTION:PATH (e.g. read:hello, *:hello, read:*) or *");
      }
      String action = operation.substring(0, colon);
      if (!action.contains("*") && !io.dtac.core.Action.ofWireName(action).isPresent()) {
        throw new IllegalArgumentException(
            "operation '" + operation + "' has action '" + action
                + "'; expected " + io.dtac.core.Action.wireNames() + " or a pattern with *");
      }
      return operation;
    }

    private static Pattern glob(String pattern) {
      List<String> parts = new ArrayList<>();
      for (String literal : pattern.split("\\*", -1)) {
        parts.add(literal.isEmpty() ? "" : Pattern.quote(literal));
      }
      return Pattern.compile(String.join(".*", parts), Pattern.DOTALL);
    }
  }

  /** The outcome of {@link #decide}: the effect, and the rule that produced it, if any. Immutable. */
  public static final class Decision {
    private final Effect effect;
    private final Rule rule;
    private final int position;
    private final String source;

    Decision(Effect effect, Rule rule, int position, String source) {
      this.effect = effect;
      this.rule = rule;
      this.position = position;
      this.source = source;
    }

    /**
     * What happens to the call.
     *
     * @return the deciding rule's effect, or the default effect
     */
    public Effect effect() {
      return effect;
    }

    /**
     * Whether the call goes ahead.
     *
     * @return true when the effect is ALLOW
     */
    public boolean allowed() {
      return effect == Effect.ALLOW;
    }

    /**
     * The rule that decided.
     *
     * @return the rule, or empty when the default effect did
     */
    public Optional<Rule> rule() {
      return Optional.ofNullable(rule);
    }

    /**
     * The deciding rule's name, as audit records show it.
     *
     * @return the rule's id, or "default" when no rule matched
     */
    public String ruleId() {
      return rule == null ? "default" : rule.id();
    }

    /**
     * Why, for people.
     *
     * @return e.g. "rule 'x' (rule 2 of policy.yaml)" or "the default effect (deny) of
     *     policy.yaml, as no rule matches"
     */
    public String reason() {
      if (rule == null) {
        return "the default effect (" + effect.wireName() + ") of " + source + ", as no rule matches";
      }
      return "rule '" + rule.id() + "' (rule " + position + " of " + source + ")";
    }

    @Override
    public String toString() {
      return effect.wireName() + " by " + reason();
    }
  }

  /**
   * Builds an {@link AccessPolicy}; rules keep the order in which they are added. Not
   * thread-safe.
   */
  public static final class Builder {
    private Effect defaultEffect = Effect.ALLOW;
    private final List<Rule> rules = new ArrayList<>();
    private String source = "the broker's builder";

    private Builder() {}

    /**
     * Sets what happens to a call no rule matches.
     *
     * @param effect the default effect; {@link Effect#ALLOW} unless set
     * @return this builder
     * @throws NullPointerException if {@code effect} is null
     */
    public Builder defaultEffect(Effect effect) {
      this.defaultEffect = Objects.requireNonNull(effect, "effect");
      return this;
    }

    /**
     * Adds a rule after those already added.
     *
     * @param rule the rule
     * @return this builder
     * @throws NullPointerException if {@code rule} is null
     */
    public Builder rule(Rule rule) {
      rules.add(Objects.requireNonNull(rule, "rule"));
      return this;
    }

    /**
     * Adds an allowing rule after those already added; see {@link Rule#Rule}.
     *
     * @param id the rule's name
     * @param caller a glob over caller plugin names
     * @param target a glob over target plugin names
     * @param operation {@code ACTION:PATH} globs, or {@code *}
     * @return this builder
     * @throws IllegalArgumentException naming the rule (position and id) and the field
     */
    public Builder allow(String id, String caller, String target, String operation) {
      return add(id, caller, target, operation, Effect.ALLOW);
    }

    /**
     * Adds a denying rule after those already added; see {@link Rule#Rule}.
     *
     * @param id the rule's name
     * @param caller a glob over caller plugin names
     * @param target a glob over target plugin names
     * @param operation {@code ACTION:PATH} globs, or {@code *}
     * @return this builder
     * @throws IllegalArgumentException naming the rule (position and id) and the field
     */
    public Builder deny(String id, String caller, String target, String operation) {
      return add(id, caller, target, operation, Effect.DENY);
    }

    private Builder add(String id, String caller, String target, String operation, Effect effect) {
      Rule r;
      try {
        r = new Rule(id, caller, target, operation, effect);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "rule " + (rules.size() + 1) + (id == null ? "" : " ('" + id + "')") + " of " + source
                + ": " + e.getMessage(),
            e);
      }
      return rule(r);
    }

    /**
     * Says where the policy comes from, for messages (denials, audit records, errors).
     *
     * @param source e.g. a file name; "the broker's builder" unless set
     * @return this builder
     * @throws NullPointerException if {@code source} is null
     */
    public Builder source(String source) {
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /**
     * Creates the policy. The builder can go on to build others.
     *
     * @return a new, immutable policy
     * @throws IllegalArgumentException if two rules share an id
     */
    public AccessPolicy build() {
      List<String> ids = new ArrayList<>();
      for (Rule r : rules) {
        if (ids.contains(r.id())) {
          throw new IllegalArgumentException(
              "two rules have the id '" + r.id() + "' in " + source + "; rule ids must be unique");
        }
        ids.add(r.id());
      }
      return new AccessPolicy(this);
    }
  }
}
