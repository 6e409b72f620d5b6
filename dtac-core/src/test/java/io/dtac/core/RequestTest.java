package io.dtac.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Request: what the builder puts in, what an endpoint reads out, and what the broker adds. */
class RequestTest {
  record Operation(String operation, int a, int b) {}

  @Test
  void jsonBodyBindsBackToATypeAndHasItsSizeInBytes() {
    Request r = Request.builder().jsonBody(new Operation("add", 5, 3)).build();
    assertEquals(new Operation("add", 5, 3), r.bodyAs(Operation.class));
    assertEquals(r.bodyAsString().getBytes(StandardCharsets.UTF_8).length, r.bodySize());
    assertEquals(0, Request.empty().bodySize());
  }

  @Test
  void anEmptyBodyBindsAsAnEmptyObject() {
    assertEquals(Map.of(), Request.empty().bodyAs(Map.class));
  }

  @Test
  void aBodyThatDoesNotBindIsAnIllegalArgumentNamingTheType() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Request.builder().body("[1, 2]").build().bodyAs(Operation.class));
    assertTrue(e.getMessage().startsWith("cannot read JSON as Operation: "), e.getMessage());
  }

  @Test
  void parametersKeepEveryValueInOrderAndAreMatchedExactly() {
    Request r = Request.builder()
        .parameter("id", "1")
        .parameters(Map.of("id", List.of("2", "3")))
        .parameters(Map.of("tag", List.of("x")))
        .build();
    assertEquals(Map.of("id", List.of("1", "2", "3"), "tag", List.of("x")), r.parameters());
    assertEquals(Optional.of("1"), r.parameter("id"), "the first value");
    assertEquals(Optional.empty(), r.parameter("ID"), "parameter names are case-sensitive");
    assertThrows(UnsupportedOperationException.class, () -> r.parameters().get("id").add("4"));
  }

  @Test
  void headersAreMatchedWithoutRegardToCaseAndAddUp() {
    Request r = Request.builder().header("Accept", "a").headers(Map.of("Accept", List.of("b"))).build();
    assertEquals(List.of("a", "b"), r.headers().get("Accept"));
    assertEquals(Optional.of("a"), r.header("accept"));
    assertEquals(Optional.empty(), r.header("Missing"));
  }

  @Test
  void metadataFromAMapAndOneByOne() {
    Request r = Request.builder().metadata(Map.of("a", "1", "b", "2")).metadata("b", "3").build();
    assertEquals(Map.of("a", "1", "b", "3"), r.metadata());
    assertThrows(UnsupportedOperationException.class, () -> r.metadata().put("c", "4"));
  }

  @Test
  void callerAndCallChainAreWhatTheBrokerWroteInTheMetadata() {
    Request viaBroker = Request.builder()
        .metadata(Protocol.CALLER_METADATA, "CalculatorPlugin")
        .metadata(Protocol.CALL_CHAIN_METADATA, "agent>CalculatorPlugin>HelloPlugin")
        .build();
    assertEquals(Optional.of("CalculatorPlugin"), viaBroker.caller());
    assertEquals(List.of("agent", "CalculatorPlugin", "HelloPlugin"), viaBroker.callChain());

    assertEquals(Optional.empty(), Request.empty().caller(), "not called through a broker");
    assertEquals(List.of(), Request.empty().callChain());
    assertEquals(List.of(), Request.builder().metadata(Protocol.CALL_CHAIN_METADATA, "").build().callChain());
  }

  @Test
  void aBuilderCanBeReusedWithoutChangingWhatItBuilt() {
    Request.Builder b = Request.builder().parameter("p", "1").body("one");
    Request first = b.build();
    Request second = b.parameter("p", "2").body("two").build();
    assertEquals(List.of("1"), first.parameters().get("p"));
    assertEquals("one", first.bodyAsString());
    assertEquals(List.of("1", "2"), second.parameters().get("p"));
    assertEquals("two", second.bodyAsString());
  }
}
