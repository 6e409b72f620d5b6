package io.dtac.broker.server;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A limit on brokered calls: at most {@code calls} calls may start in each period of {@code per}
 * (a fixed window that refills at its end), and at most {@code maxInFlight} may be in flight at
 * once. A call over the limit fails at once with RESOURCE_EXHAUSTED naming the limit (HTTP 429
 * with {@code Retry-After} at the example agent's gateway), and is audited with rule {@code
 * rate-limit}. Set per caller and per target on {@link PluginBrokerBuilder#callerLimit} and
 * {@link PluginBrokerBuilder#targetLimit}, and per access policy rule ({@code rate_limit}).
 *
 * @param calls the most calls that may start per period; at least 1
 * @param per the period; at least 1 ms
 * @param maxInFlight the most calls in flight at once; at least 1
 */
public record RateLimit(int calls, Duration per, int maxInFlight) {
  /** No limit at all. */
  public static final RateLimit UNLIMITED = new RateLimit(Integer.MAX_VALUE, Duration.ofSeconds(1), Integer.MAX_VALUE);

  private static final Pattern PERIOD = Pattern.compile("([0-9]{1,9})(ms|s|m|h)");

  /**
   * Validates the limit.
   *
   * @param calls the most calls that may start per period; at least 1
   * @param per the period; at least 1 ms
   * @param maxInFlight the most calls in flight at once; at least 1
   * @throws IllegalArgumentException naming the invalid value
   */
  public RateLimit {
    Objects.requireNonNull(per, "per");
    if (calls < 1) {
      throw new IllegalArgumentException("a rate limit's calls must be at least 1, got " + calls);
    }
    if (per.toMillis() < 1) {
      throw new IllegalArgumentException("a rate limit's period must be at least 1 ms, got " + per);
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("a rate limit's maxInFlight must be at least 1, got " + maxInFlight);
    }
  }

  /**
   * At most {@code calls} calls per second and {@code maxInFlight} at once.
   *
   * @param calls calls per second; at least 1
   * @param maxInFlight calls in flight at once; at least 1
   * @return the limit
   */
  public static RateLimit perSecond(int calls, int maxInFlight) {
    return new RateLimit(calls, Duration.ofSeconds(1), maxInFlight);
  }

  /**
   * Parses a period as policy and configuration files write it: digits and a unit, {@code ms},
   * {@code s}, {@code m} or {@code h}, e.g. {@code "1s"}, {@code "100ms"}.
   *
   * @param text the period
   * @return it as a duration
   * @throws IllegalArgumentException if it is not such a period
   */
  public static Duration parsePeriod(String text) {
    Matcher m = PERIOD.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "period '" + text + "' must be a number and a unit, ms, s, m or h, e.g. 1s or 100ms");
    }
    long n = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "ms":
        return Duration.ofMillis(n);
      case "s":
        return Duration.ofSeconds(n);
      case "m":
        return Duration.ofMinutes(n);
      default:
        return Duration.ofHours(n);
    }
  }

  /**
   * Reads a limit as access policy files ({@code rate_limit} of a rule) and the example agent's
   * configuration write it: {@code {"calls": 100, "per": "1s", "max_in_flight": 10}}; {@code per}
   * defaults to 1 s, a missing {@code calls} or {@code max_in_flight} to no limit of that kind.
   *
   * @param fields the object's fields, as a JSON or YAML parser gives them
   * @return the limit
   * @throws IllegalArgumentException naming an unknown, missing or invalid field
   */
  public static RateLimit parse(java.util.Map<String, ?> fields) {
    for (String key : fields.keySet()) {
      if (!java.util.Set.of("calls", "per", "max_in_flight").contains(key)) {
        throw new IllegalArgumentException(
            "rate limit field '" + key + "' is unknown; expected calls, per, max_in_flight");
      }
    }
    if (!fields.containsKey("calls") && !fields.containsKey("max_in_flight")) {
      throw new IllegalArgumentException("a rate limit needs 'calls' (per 'per', default 1s), 'max_in_flight', or both");
    }
    Object per = fields.get("per");
    if (per != null && !(per instanceof String)) {
      throw new IllegalArgumentException("rate limit 'per' must be a period such as \"1s\", got " + per);
    }
    return new RateLimit(
        count(fields, "calls"), per == null ? Duration.ofSeconds(1) : parsePeriod((String) per),
        count(fields, "max_in_flight"));
  }

  private static int count(java.util.Map<String, ?> fields, String key) {
    Object v = fields.get(key);
    if (v == null) {
      return Integer.MAX_VALUE;
    }
    if (!(v instanceof Integer) || (Integer) v < 1) {
      throw new IllegalArgumentException("rate limit '" + key + "' must be a whole number of at least 1, got " + v);
    }
    return (Integer) v;
  }

  /**
   * Whether this limit lets everything through.
   *
   * @return true for {@link #UNLIMITED} and limits as wide
   */
  public boolean unlimited() {
    return calls == Integer.MAX_VALUE && maxInFlight == Integer.MAX_VALUE;
  }

  /** "100 calls per 1000 ms, 10 in flight". */
  @Override
  public String toString() {
    if (unlimited()) {
      return "unlimited";
    }
    return calls + " calls per " + per.toMillis() + " ms, " + maxInFlight + " in flight";
  }
}
