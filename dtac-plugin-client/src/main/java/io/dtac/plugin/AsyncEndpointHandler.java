package io.dtac.plugin;

import io.dtac.core.PluginException;
import io.dtac.core.Request;
import io.dtac.core.Response;
import java.util.concurrent.CompletionStage;

/**
 * The code behind an endpoint that answers asynchronously: it returns at once with a stage that
 * completes with the answer later, for example the result of {@link PluginBase#callPluginAsync}.
 * It is called on the transport thread that received the call, like a {@linkplain
 * Endpoint.Builder#nonBlocking() non-blocking} endpoint, so it must not block; the stage may
 * complete on any thread. The call's deadline, cancellation and place in the call chain are
 * those of the {@code Context} it is called in: calls to other plugins made from it (or from
 * stages that run in that context) carry them. When the caller cancels (or its deadline passes),
 * the stage's future is cancelled.
 *
 * <p>Complete the stage exceptionally with a {@link PluginException} to answer with a status,
 * an {@link IllegalArgumentException} for INVALID_ARGUMENT; anything else becomes INTERNAL.
 */
@FunctionalInterface
public interface AsyncEndpointHandler {
  /**
   * Starts answering one call, on the transport thread that received it.
   *
   * @param request the call's request
   * @return a stage that completes with the answer, or exceptionally with the failure; must not
   *     be null
   * @throws Exception thrown before a stage exists: answered like an exceptional completion
   */
  CompletionStage<Response> handle(Request request) throws Exception;
}
