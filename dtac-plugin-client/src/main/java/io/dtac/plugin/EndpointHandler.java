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
  Response handle(Request request) throws Exception;
}
