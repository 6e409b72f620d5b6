package io.dtac.broker.server.internal;

import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.RateLimit;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The rate limits of brokered calls: per caller, per target plugin, and per (access policy rule,
 * caller) for rules that carry a {@code rate_limit}. Each is a rate (resilience4j's lock-free
 * {@link RateLimiter}, which never waits here) and a maximum of calls in flight (a {@link
 * Bulkhead} that never waits). A call over any of them is refused at once with RESOURCE_EXHAUSTED
 * whose description starts with {@value #REFUSAL_PREFIX} and names the limit and when to retry.
 *
 * <p>Memory stays bounded whatever callers send: callers are authenticated names; a target gets
 * its limiter only when it is a loaded plugin (a call to an unknown target fails NOT_FOUND
 * anyway); rules come from the policy. Thread-safe; never blocks.
 */
public final class CallLimits {
  /** How every refusal's description starts: the REST gateway answers 429 for these. */
  public static final String REFUSAL_PREFIX = io.dtac.core.Protocol.RATE_LIMIT_REFUSAL;

  private final RateLimit perCaller;
  private final RateLimit perTarget;
  private final Predicate<String> knownTarget;
  private final Map<String, Limiter> callers = new ConcurrentHashMap<>();
  private final Map<String, Limiter> targets = new ConcurrentHashMap<>();
  private final Map<RuleKey, Limiter> rules = new ConcurrentHashMap<>();

  /** Calls already admitted by some limiters, to be released when the call ends. */
  public interface Permit {
    /** The call has ended. Idempotent per call. */
    void release();
  }

  private static final Permit NONE = () -> {};

  private record RuleKey(String rule, String caller) {}

  /** A rate and an in-flight maximum, with the words that name it in a refusal. */
  private static final class Limiter {
    final RateLimit limit;
    final String who;
    final RateLimiter rate;
    final Bulkhead inFlight;

    Limiter(RateLimit limit, String who) {
      this.limit = limit;
      this.who = who;
      this.rate = limit.calls() == Integer.MAX_VALUE ? null : RateLimiter.of(who, RateLimiterConfig.custom()
          .limitForPeriod(limit.calls())
          .limitRefreshPeriod(limit.per())
          .timeoutDuration(Duration.ZERO)
          .build());
      this.inFlight = limit.maxInFlight() == Integer.MAX_VALUE ? null : Bulkhead.of(who, BulkheadConfig.custom()
          .maxConcurrentCalls(limit.maxInFlight())
          .maxWaitDuration(Duration.ZERO)
          .build());
    }
  }

  /**
   * @param perCaller each caller's limit (the host's calls count as caller "agent")
   * @param perTarget each target plugin's limit
   * @param knownTarget whether a name is a loaded plugin's
   */
  public CallLimits(RateLimit perCaller, RateLimit perTarget, Predicate<String> knownTarget) {
    this.perCaller = perCaller;
    this.perTarget = perTarget;
    this.knownTarget = knownTarget;
  }

  /**
   * Admits a call or refuses it.
   *
   * @param rule the access policy rule that allowed it, or null
   * @return the permit to release when the call ends
   * @throws StatusRuntimeException RESOURCE_EXHAUSTED naming the limit that refused the call
   */
  public Permit admit(String caller, String target, AccessPolicy.Rule rule) {
    if (perCaller.unlimited() && perTarget.unlimited() && (rule == null || rule.rateLimit().isEmpty())) {
      // The common case allocates nothing.
      return NONE;
    }
    List<Limiter> limiters = new ArrayList<>(3);
    if (!perCaller.unlimited()) {
      limiters.add(callers.computeIfAbsent(caller, c -> new Limiter(perCaller, "caller '" + c + "'")));
    }
    if (!perTarget.unlimited() && knownTarget.test(target)) {
      limiters.add(targets.computeIfAbsent(target, t -> new Limiter(perTarget, "target '" + t + "'")));
    }
    if (rule != null && rule.rateLimit().isPresent()) {
      RateLimit limit = rule.rateLimit().get();
      limiters.add(rules.computeIfAbsent(new RuleKey(rule.id(), caller),
          k -> new Limiter(limit, "caller '" + k.caller() + "' under access policy rule '" + k.rule() + "'")));
    }
    if (limiters.isEmpty()) {
      return NONE;
    }
    List<Bulkhead> entered = new ArrayList<>(limiters.size());
    for (Limiter l : limiters) {
      if (l.inFlight != null) {
        if (!l.inFlight.tryAcquirePermission()) {
          entered.forEach(Bulkhead::onComplete);
          throw refused(l.who + " has " + l.limit.maxInFlight() + " calls in flight, the most it may have;"
              + " retry when one has ended (" + l.limit + ")", 1);
        }
        entered.add(l.inFlight);
      }
    }
    for (Limiter l : limiters) {
      if (l.rate != null && !l.rate.acquirePermission()) {
        entered.forEach(Bulkhead::onComplete);
        // The window refills within one period: waiting that long is always enough.
        long retryMillis = l.limit.per().toMillis();
        throw refused(l.who + " may start at most " + l.limit.calls() + " calls per " + l.limit.per().toMillis()
            + " ms; retry in " + retryMillis + " ms (" + l.limit + ")", seconds(retryMillis));
      }
    }
    if (entered.isEmpty()) {
      return NONE;
    }
    return new Permit() {
      private boolean released;

      @Override
      public synchronized void release() {
        if (!released) {
          released = true;
          entered.forEach(Bulkhead::onComplete);
        }
      }
    };
  }

  private static long seconds(long millis) {
    return Math.max(1, (millis + 999) / 1000);
  }

  private static StatusRuntimeException refused(String why, long retryAfterSeconds) {
    return Status.RESOURCE_EXHAUSTED
        .withDescription(REFUSAL_PREFIX + why + "; Retry-After: " + retryAfterSeconds)
        .asRuntimeException();
  }
}
