package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.dtac.broker.api.EndpointRequest;
import io.dtac.broker.api.EndpointResponse;
import io.dtac.broker.api.ListPluginsRequest;
import io.dtac.broker.api.ListPluginsResponse;
import io.dtac.broker.api.PluginCallRequest;
import io.dtac.broker.api.PluginDescription;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.server.AccessPolicy;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The access policy enforced on the broker's real call path (in-process gRPC). */
class PolicyEnforcementTest {
  private static final AccessPolicy POLICY =
      AccessPolicy.builder()
          .defaultEffect(AccessPolicy.Effect.DENY)
          .deny("no-secrets", "*", "SecretPlugin", "*")
          .allow("calc-reads-hello", "CalculatorPlugin", "HelloPlugin", "read:hello")
          .allow("calc-family-reads", "Calc*", "*Plugin", "read:*")
          .build();

  private InProcessBroker broker;
  private String calculator;
  private String calcHelper;
  private String intruder;

  @BeforeEach
  void start() throws Exception {
    broker = new InProcessBroker(POLICY);
    broker.plugins.add("HelloPlugin", "read:hello", "write:hello");
    broker.plugins.add("CalculatorPlugin", "create:calculate", "read:status");
    broker.plugins.add("SecretPlugin", "read:secret");
    calculator = broker.credentialFor("CalculatorPlugin");
    calcHelper = broker.credentialFor("CalcHelper");
    intruder = broker.credentialFor("IntruderPlugin");
  }

  @AfterEach
  void stop() throws Exception {
    broker.close();
  }

  private EndpointResponse call(String credential, String target, String action, String method) {
    return broker.stub(credential)
        .callPlugin(
            PluginCallRequest.newBuilder()
                .setPluginName(target)
                .setMethod(method)
                .setAction(action)
                .setRequest(EndpointRequest.getDefaultInstance())
                .build())
        .getResponse();
  }

  private Status denied(String credential, String target, String action, String method) {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> call(credential, target, action, method));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), e.getStatus().toString());
    return e.getStatus();
  }

  @Test
  void allowedCallReachesTheTarget() {
    EndpointResponse r = call(calculator, "HelloPlugin", "read", "hello");
    assertEquals("HelloPlugin", r.getMetadataOrThrow("served-by"));
    assertEquals("CalculatorPlugin", r.getMetadataOrThrow(Protocol.CALLER_METADATA));
  }

  @Test
  void callNoRuleMatchesIsDecidedByTheDefaultEffect() {
    Status s = denied(calculator, "HelloPlugin", "write", "hello");
    assertEquals(
        "caller 'CalculatorPlugin' may not call plugin 'HelloPlugin' endpoint 'write:hello': denied"
            + " by the default effect (deny) of the broker's builder, as no rule matches",
        s.getDescription());
    assertEquals(0, broker.plugins.calls("HelloPlugin"), "a denied call must not reach the target");
  }

  @Test
  void firstMatchingRuleWinsOverALaterAllow() {
    Status s = denied(calculator, "SecretPlugin", "read", "secret");
    assertTrue(
        s.getDescription().contains("denied by rule 'no-secrets' (rule 1 of the broker's builder)"),
        s.getDescription());
    assertEquals(0, broker.plugins.calls("SecretPlugin"));
  }

  @Test
  void wildcardRuleAllowsMatchingCallerTargetAndOperation() {
    // Another Calc* caller: a plugin calling itself would be refused as a call cycle.
    EndpointResponse r = call(calcHelper, "CalculatorPlugin", "READ", "status");
    assertEquals("read:status", r.getMetadataOrThrow("method-key"));
    denied(calcHelper, "CalculatorPlugin", "create", "calculate");
  }

  @Test
  void unknownCallerGetsOnlyTheDefault() {
    Status s = denied(intruder, "HelloPlugin", "read", "hello");
    assertTrue(s.getDescription().startsWith("caller 'IntruderPlugin' may not call"), s.getDescription());
  }

  @Test
  void deniedCallerLearnsNothingAboutWhichPluginsExist() {
    Status s = denied(intruder, "NoSuchPlugin", "read", "anything");
    assertTrue(s.getDescription().contains("'NoSuchPlugin'"), s.getDescription());
  }

  @Test
  void listPluginsShowsACallerOnlyWhatItMayCall() {
    ListPluginsResponse seen =
        broker.stub(calculator).listPlugins(ListPluginsRequest.getDefaultInstance());
    assertEquals(List.of("HelloPlugin", "CalculatorPlugin"), seen.getPluginsList());
    Map<String, List<String>> endpoints =
        seen.getDetailsList().stream()
            .collect(Collectors.toMap(
                PluginDescription::getName,
                d -> d.getEndpointsList().stream()
                    .map(e -> e.getAction() + ":" + e.getPath())
                    .collect(Collectors.toList())));
    assertEquals(Map.of("HelloPlugin", List.of("read:hello"), "CalculatorPlugin", List.of("read:status")), endpoints);

    ListPluginsResponse none =
        broker.stub(intruder).listPlugins(ListPluginsRequest.getDefaultInstance());
    assertEquals(List.of(), none.getPluginsList());
  }

  @Test
  void hostSeesEveryPluginAndIsNotSubjectToThePolicy() throws Exception {
    assertEquals(
        List.of("HelloPlugin", "CalculatorPlugin", "SecretPlugin"),
        AgentServiceImpl.list(broker.plugins.registry).getPluginsList());
    EndpointResponse r =
        broker.hostCall("SecretPlugin", "secret", "read");
    assertEquals("agent", r.getMetadataOrThrow(Protocol.CALLER_METADATA));
  }

  @Test
  void policyDecisionsUseTheCallerFromTheCredentialNotFromTheRequest() {
    EndpointRequest forged =
        EndpointRequest.newBuilder().putMetadata(Protocol.CALLER_METADATA, "CalculatorPlugin").build();
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> broker.stub(intruder).callPlugin(
            PluginCallRequest.newBuilder().setPluginName("HelloPlugin").setMethod("hello")
                .setAction("read").setRequest(forged).build()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
  }

  @Test
  void pluginWithoutEndpointsIsListedWhenAnyOperationOnItIsAllowed() throws Exception {
    LoadedPlugin starting = new LoadedPlugin("CalcHelperPlugin", "helper", null);
    broker.plugins.registry.add(starting);
    AccessPolicy all = AccessPolicy.builder().defaultEffect(AccessPolicy.Effect.DENY)
        .allow("calc-to-helper", "CalculatorPlugin", "CalcHelperPlugin", "*").build();
    PolicyEngine engine = PolicyEngine.fixed(all);
    ListPluginsResponse seen =
        engine.visibleTo(CallerIdentity.plugin("CalculatorPlugin"), AgentServiceImpl.list(broker.plugins.registry));
    assertEquals(List.of("CalcHelperPlugin"), seen.getPluginsList());
    assertEquals(List.<PluginEndpoint>of(), seen.getDetails(0).getEndpointsList());
    assertEquals(List.of(), engine.visibleTo(CallerIdentity.plugin("HelloPlugin"), AgentServiceImpl.list(broker.plugins.registry)).getPluginsList());
  }
}
