package io.dtac.broker.server.internal;

import io.dtac.core.Protocol;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The call chains of the brokered calls in flight, kept by the broker so that no caller can
 * shorten or forge one.
 *
 * <p>Every call the broker forwards is a hop: the broker records the hop's chain (the origin
 * caller, then every target so far) under a random token, and hands the token to the target in
 * the forwarded request's metadata ({@value Protocol#CALL_TOKEN}). When the target calls the broker
 * while serving that call, the plugin SDK presents the token in the {@value Protocol#CALL_TOKEN}
 * header; {@link CallChainInterceptor} looks it up and accepts it only from the plugin the hop
 * was forwarded to. The new hop extends that chain; a hop whose target is already in the chain
 * (a cycle) or that would make the chain longer than the maximum depth is refused with
 * FAILED_PRECONDITION showing the chain.
 *
 * <p>A call without a token starts a new chain at its caller (a plugin calling from its own
 * thread, or the host application). A token the broker did not issue, that belongs to another
 * plugin's call, or whose call has ended is refused (INVALID_ARGUMENT), so presenting one never
 * yields a fresh chain. Tokens live exactly as long as their hop: {@link Hop#close()} forgets
 * them. Thread-safe.
 */
public final class CallChains {
  /** The default maximum number of hops in a chain. */
  public static final int DEFAULT_MAX_DEPTH = 8;

  static final Context.Key<List<String>> PARENT = Context.key("parent call chain");

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, Hop> inFlight = new ConcurrentHashMap<>();
  private final int maxDepth;

  public CallChains(int maxDepth) {
    if (maxDepth < 1) {
      throw new IllegalArgumentException("maxDepth must be at least 1, got " + maxDepth);
    }
    this.maxDepth = maxDepth;
  }

  public int maxDepth() {
    return maxDepth;
  }

  /**
   * Opens the hop from the current caller to {@code target}: the parent chain is the one the
   * current gRPC context carries (see {@link CallChainInterceptor}), else a new chain starting at
   * {@link CallerIdentity#current()}.
   *
   * @throws StatusRuntimeException FAILED_PRECONDITION for a cycle or a chain that is too deep;
   *     UNAUTHENTICATED when the context has no caller identity
   */
  public Hop open(String target) {
    List<String> parent = PARENT.get();
    if (parent == null) {
      CallerIdentity caller = CallerIdentity.current();
      if (caller == null) {
        throw Status.UNAUTHENTICATED
            .withDescription("the call carries no caller identity, so it cannot start a call chain")
            .asRuntimeException();
      }
      parent = List.of(caller.name());
    }
    List<String> chain = new ArrayList<>(parent.size() + 1);
    chain.addAll(parent);
    chain.add(target);
    if (parent.contains(target)) {
      throw Status.FAILED_PRECONDITION
          .withDescription(
              "call cycle refused: " + String.join(" -> ", chain) + " (plugin '" + target
                  + "' is already in this call chain)")
          .asRuntimeException();
    }
    int hops = chain.size() - 1;
    if (hops > maxDepth) {
      throw Status.FAILED_PRECONDITION
          .withDescription(
              "call chain too deep: " + String.join(" -> ", chain) + " has " + hops
                  + " hops; the maximum is " + maxDepth)
          .asRuntimeException();
    }
    Hop hop = new Hop(newToken(), target, List.copyOf(chain));
    inFlight.put(hop.token, hop);
    return hop;
  }

  /**
   * The chain of the hop {@code token} names, if that hop is in flight and was forwarded to
   * {@code caller}; otherwise null.
   */
  List<String> chainFor(String token, String caller) {
    Hop hop = inFlight.get(token);
    return hop != null && hop.target.equals(caller) ? hop.chain : null;
  }

  /** How many hops are in flight (for tests and diagnostics). */
  public int inFlight() {
    return inFlight.size();
  }

  private static String newToken() {
    byte[] bytes = new byte[18];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** One forwarded call. {@link #close()} when its answer (or failure) arrives; idempotent. */
  public final class Hop implements AutoCloseable {
    private final String token;
    private final String target;
    private final List<String> chain;

    private Hop(String token, String target, List<String> chain) {
      this.token = token;
      this.target = target;
      this.chain = chain;
    }

    /** The token the target presents on calls it makes while serving this hop. */
    public String token() {
      return token;
    }

    /** The chain, origin first, this hop's target last. */
    public List<String> chain() {
      return chain;
    }

    /** The chain as sent to the target, e.g. "agent>CalculatorPlugin>HelloPlugin". */
    public String chainText() {
      return String.join(Protocol.CHAIN_SEPARATOR, chain);
    }

    @Override
    public void close() {
      inFlight.remove(token, this);
    }
  }
}
