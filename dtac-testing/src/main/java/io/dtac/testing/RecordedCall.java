package io.dtac.testing;

import io.dtac.core.Action;
import io.dtac.core.Protocol;
import io.dtac.core.Request;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One call a plugin under test made through the {@link FakeBroker}, as it reached the broker:
 * like MockWebServer's {@code RecordedRequest}. Immutable and thread-safe.
 */
public final class RecordedCall {
  private final String caller;
  private final String plugin;
  private final String path;
  private final Action action;
  private final Request request;
  private final List<String> callChain;
  private final Duration timeRemaining;

  RecordedCall(
      String caller, String plugin, String path, Action action, Request request, List<String> callChain,
      Duration timeRemaining) {
    this.caller = Objects.requireNonNull(caller, "caller");
    this.plugin = Objects.requireNonNull(plugin, "plugin");
    this.path = Objects.requireNonNull(path, "path");
    this.action = Objects.requireNonNull(action, "action");
    this.request = Objects.requireNonNull(request, "request");
    this.callChain = List.copyOf(callChain);
    this.timeRemaining = timeRemaining;
  }

  /** {@return the plugin that made the call, as the broker knows it (the kernel would name it), e.g. "CalculatorPlugin"} */
  public String caller() {
    return caller;
  }

  /** {@return the plugin it called, e.g. "HelloPlugin", whether or not such a plugin exists} */
  public String plugin() {
    return plugin;
  }

  /** {@return the endpoint path it called (the protocol's {@code method}), e.g. "hello"} */
  public String path() {
    return path;
  }

  /** {@return the endpoint action it called} */
  public Action action() {
    return action;
  }

  /**
   * The request exactly as the plugin sent it, before the broker adds its {@code dtac-*}
   * metadata (a stub's handler sees that metadata: {@code Request.caller()}, {@code callChain()}).
   *
   * @return the request as sent
   */
  public Request request() {
    return request;
  }

  /**
   * The call chain this call makes, origin first and {@link #plugin()} last, e.g. {@code [agent,
   * CalculatorPlugin, HelloPlugin]} for a call the calculator made while serving a test's call.
   *
   * @return the chain; an unmodifiable list
   */
  public List<String> callChain() {
    return callChain;
  }

  /**
   * How long the call had left when it reached the broker; empty when the plugin set no deadline
   * and served no call that had one (the broker then applies its default of 30 s).
   *
   * @return the time left, if the call had a deadline
   */
  public Optional<Duration> timeRemaining() {
    return Optional.ofNullable(timeRemaining);
  }

  @Override
  public String toString() {
    return caller + " -> " + plugin + " " + action.methodKey(path) + " " + String.join(Protocol.CHAIN_SEPARATOR, callChain);
  }
}
