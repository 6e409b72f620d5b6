package io.dtac.plugin;

import io.dtac.core.Request;
import io.dtac.core.Response;
import io.dtac.core.PluginException;

/**
 * The code behind one endpoint. Called on a gRPC server thread, possibly concurrently with other
 * calls: implementations must be thread-safe.
 *
 * <p>Throw {@link PluginException} to answer with a specific status, {@link
 * IllegalArgumentException} for bad input (INVALID_ARGUMENT); anything else becomes INTERNAL.
 */
@FunctionalInterface
public interface EndpointHandler {
  /**
   * Answers one call.
   *
   * @param request the call's request
   * @return the answer; must not be null
   * @throws Exception to answer with a status: {@link PluginException} with its code, a {@link
   *     io.dtac.core.PluginCallException} from a call to another plugin with that failure's code
   *     and description, {@link IllegalArgumentException} with INVALID_ARGUMENT, anything else
   *     with INTERNAL (and a log record)
   */
  Response handle(Request request) throws Exception;
}
