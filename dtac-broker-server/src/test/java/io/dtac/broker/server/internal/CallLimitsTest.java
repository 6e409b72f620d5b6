package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.server.AccessPolicy;
import io.dtac.broker.server.RateLimit;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CallLimitsTest {
  private static final RateLimit NONE = RateLimit.UNLIMITED;

  @Test
  void aCallerOverItsRateIsRefusedAtOnceNamingTheLimit() {
    CallLimits limits = new CallLimits(new RateLimit(3, Duration.ofMinutes(1), 100), NONE, t -> true);
    for (int i = 0; i < 3; i++) {
      limits.admit("Alpha", "Beta", null).release();
    }
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> limits.admit("Alpha", "Beta", null));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    String d = e.getStatus().getDescription();
    assertTrue(d.startsWith(CallLimits.REFUSAL_PREFIX), d);
    assertTrue(d.contains("caller 'Alpha' may start at most 3 calls per 60000 ms"), d);
    assertTrue(d.endsWith("Retry-After: 60"), d);
    // Another caller has its own allowance.
    limits.admit("Gamma", "Beta", null).release();
  }

  @Test
  void callsInFlightAreBoundedAndReleasedPermitsMakeRoom() {
    CallLimits limits = new CallLimits(NONE, new RateLimit(Integer.MAX_VALUE, Duration.ofSeconds(1), 2), t -> true);
    CallLimits.Permit a = limits.admit("Alpha", "Beta", null);
    CallLimits.Permit b = limits.admit("Gamma", "Beta", null);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> limits.admit("Delta", "Beta", null));
    assertTrue(e.getStatus().getDescription().contains("target 'Beta' has 2 calls in flight"), e.getMessage());
    a.release();
    a.release();
    limits.admit("Delta", "Beta", null);
    assertThrows(StatusRuntimeException.class, () -> limits.admit("Delta", "Beta", null),
        "a permit released twice frees one place only");
    b.release();
  }

  @Test
  void aRefusalByOneLimitTakesNoPlaceInTheOthers() {
    CallLimits limits = new CallLimits(new RateLimit(Integer.MAX_VALUE, Duration.ofSeconds(1), 1),
        new RateLimit(Integer.MAX_VALUE, Duration.ofSeconds(1), 5), t -> true);
    CallLimits.Permit held = limits.admit("Alpha", "Beta", null);
    for (int i = 0; i < 10; i++) {
      assertThrows(StatusRuntimeException.class, () -> limits.admit("Alpha", "Beta", null));
    }
    for (String caller : List.of("C1", "C2", "C3", "C4")) {
      limits.admit(caller, "Beta", null);
    }
    held.release();
  }

  @Test
  void aRulesLimitAppliesToEachCallerItAllows() {
    AccessPolicy.Rule rule = new AccessPolicy.Rule("slow-lane", "*", "Beta", "*", AccessPolicy.Effect.ALLOW)
        .withRateLimit(new RateLimit(1, Duration.ofMinutes(1), 10));
    CallLimits limits = new CallLimits(NONE, NONE, t -> true);
    limits.admit("Alpha", "Beta", rule).release();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> limits.admit("Alpha", "Beta", rule));
    assertTrue(e.getStatus().getDescription().contains("under access policy rule 'slow-lane'"), e.getMessage());
    limits.admit("Gamma", "Beta", rule).release();
    limits.admit("Alpha", "Beta", null).release();
  }

  @Test
  void unknownTargetsGetNoLimiterSoMadeUpNamesCannotGrowMemory() {
    Set<String> loaded = Set.of("Beta");
    CallLimits limits = new CallLimits(NONE, new RateLimit(1, Duration.ofMinutes(1), 1), loaded::contains);
    List<CallLimits.Permit> permits = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      permits.add(limits.admit("Alpha", "Nope" + i, null));
    }
    limits.admit("Alpha", "Beta", null);
    assertThrows(StatusRuntimeException.class, () -> limits.admit("Alpha", "Beta", null));
  }

  @Test
  void aDenyingRuleCannotCarryALimitAndLimitsAreValidated() {
    AccessPolicy.Rule deny = new AccessPolicy.Rule("no", "*", "*", "*", AccessPolicy.Effect.DENY);
    assertThrows(IllegalArgumentException.class, () -> deny.withRateLimit(RateLimit.perSecond(1, 1)));
    assertThrows(IllegalArgumentException.class, () -> RateLimit.perSecond(0, 1));
    assertThrows(IllegalArgumentException.class, () -> RateLimit.perSecond(1, 0));
    assertThrows(IllegalArgumentException.class, () -> new RateLimit(1, Duration.ZERO, 1));
    assertEquals(new RateLimit(5, Duration.ofMillis(100), Integer.MAX_VALUE),
        RateLimit.parse(java.util.Map.of("calls", 5, "per", "100ms")));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RateLimit.parse(java.util.Map.of("calls", 5, "burst", 3)));
    assertTrue(e.getMessage().contains("'burst' is unknown"), e.getMessage());
  }
}
