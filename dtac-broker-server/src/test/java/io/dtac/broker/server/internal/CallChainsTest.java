package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

class CallChainsTest {
  private final CallChains chains = new CallChains(3);

  /** Opens a hop to {@code target} as the host does. */
  private CallChains.Hop fromHost(String target) throws Exception {
    return CallerIdentity.asHost(Context.current()).call(() -> chains.open(target));
  }

  /** Runs {@code body} as plugin {@code caller} serving the hop {@code parent}. */
  private <T> T as(String caller, CallChains.Hop parent, Callable<T> body) throws Exception {
    Context c = CallerIdentity.withCaller(Context.current(), caller);
    if (parent != null) {
      c = c.withValue(CallChains.PARENT, chains.chainFor(parent.token(), caller));
    }
    return c.call(body);
  }

  @Test
  void aCallWithoutIdentityStartsNoChain() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> chains.open("A"));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(0, chains.inFlight());
  }

  @Test
  void aHostCallStartsAChainAtTheAgent() throws Exception {
    CallChains.Hop hop = fromHost("A");
    assertEquals(List.of("agent", "A"), hop.chain());
    assertEquals("agent>A", hop.chainText());
  }

  @Test
  void aNestedCallExtendsTheChainOfTheCallItServes() throws Exception {
    CallChains.Hop first = fromHost("A");
    CallChains.Hop second = as("A", first, () -> chains.open("B"));
    assertEquals(List.of("agent", "A", "B"), second.chain());
  }

  @Test
  void aCycleBackToACallerIsRefusedShowingTheChain() throws Exception {
    CallChains.Hop first = fromHost("A");
    CallChains.Hop second = as("A", first, () -> chains.open("B"));
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> as("B", second, () -> chains.open("A")));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().startsWith("call cycle refused: agent -> A -> B -> A"),
        e.getStatus().getDescription());
  }

  @Test
  void aPluginCallingItselfIsACycle() throws Exception {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> as("A", null, () -> chains.open("A")));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("A -> A"));
  }

  @Test
  void aChainLongerThanTheMaximumDepthIsRefused() throws Exception {
    CallChains.Hop a = fromHost("A");
    CallChains.Hop b = as("A", a, () -> chains.open("B"));
    CallChains.Hop c = as("B", b, () -> chains.open("C"));
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> as("C", c, () -> chains.open("D")));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertEquals(
        "call chain too deep: agent -> A -> B -> C -> D has 4 hops; the maximum is 3",
        e.getStatus().getDescription());
  }

  @Test
  void aTokenIsOnlyValidForThePluginItsCallWasForwardedTo() throws Exception {
    CallChains.Hop hop = fromHost("A");
    assertEquals(hop.chain(), chains.chainFor(hop.token(), "A"));
    assertNull(chains.chainFor(hop.token(), "B"));
    assertNull(chains.chainFor("forged", "A"));
  }

  @Test
  void aTokenDiesWithItsCall() throws Exception {
    CallChains.Hop hop = fromHost("A");
    hop.close();
    hop.close();
    assertNull(chains.chainFor(hop.token(), "A"));
    assertEquals(0, chains.inFlight());
  }

  @Test
  void tokensAreUnguessable() throws Exception {
    CallChains.Hop one = fromHost("A");
    CallChains.Hop two = fromHost("A");
    assertTrue(one.token().length() >= 24);
    assertTrue(!one.token().equals(two.token()));
  }
}
