package io.dtac.examples.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The plugin file a load request ({@code POST /admin/plugins}) names, checked before anything is
 * launched: the body must be {@code {"file": "NAME.plugin"}}, and the name a bare file name of a
 * regular file in the plugin directory; a path, {@code ..}, a control character or a file that is
 * not there is refused with 400 naming the problem. Stateless.
 */
final class PluginFileName {
  /** The body a load request sends, as its refusals show it. */
  static final String EXAMPLE_BODY = "{\"file\": \"NAME.plugin\"}";

  private PluginFileName() {}

  /**
   * The {@code file} of a load request's body.
   *
   * @throws HttpError 400 naming what is wrong with the body
   */
  static String fromBody(byte[] body) throws HttpError {
    JsonNode root;
    try {
      root = body.length == 0 ? null : GatewayJson.parse(body);
    } catch (GatewayJson.MalformedJson e) {
      throw new HttpError(400, "malformed JSON body (" + e.reason() + "); send " + EXAMPLE_BODY);
    }
    if (root == null || !root.isObject()) {
      throw new HttpError(400, "the body must be a JSON object " + EXAMPLE_BODY
          + " naming a plugin file in the agent's plugin directory");
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String field = names.next();
      if (!field.equals("file")) {
        throw new HttpError(400, "unknown field '" + field + "' in the body; send " + EXAMPLE_BODY);
      }
    }
    JsonNode file = root.get("file");
    if (file == null || !file.isTextual()) {
      throw new HttpError(400, "the body needs \"file\" as a string: " + EXAMPLE_BODY);
    }
    return file.asText();
  }

  /**
   * The plugin file a load request may launch: {@code name} in {@code dir}, if {@code name} is a
   * bare file name ending in {@code .plugin} and such a file is there. Symbolic links in the
   * directory are followed, as the agent does at start-up: whoever may write to the plugin
   * directory already decides what runs.
   *
   * @throws HttpError 400 naming what is wrong with the name, or that there is no such file
   */
  static Path resolve(Path dir, String name) throws HttpError {
    if (name.isEmpty()) {
      throw new HttpError(400, "\"file\" is empty; name a *.plugin file in the plugin directory");
    }
    if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new HttpError(400, "\"file\" contains a control character; name a *.plugin file in"
          + " the plugin directory");
    }
    if (name.contains("/") || name.contains("\\")) {
      throw new HttpError(400, "\"file\" must be a bare file name in the plugin directory, not a"
          + " path: '" + name + "' contains a path separator");
    }
    if (name.contains("..")) {
      throw new HttpError(400, "\"file\" must not contain '..': '" + name + "'");
    }
    if (!name.endsWith(".plugin") || name.length() == ".plugin".length()) {
      throw new HttpError(400, "\"file\" must name a NAME.plugin file, got '" + name + "'");
    }
    // Same form as the broker's own discovery (dir.resolve), so its records of the file match.
    Path file = dir.resolve(name);
    // Defence in depth: whatever the file system makes of the name, it must stay in the directory.
    Path base = dir.toAbsolutePath().normalize();
    if (!base.equals(file.toAbsolutePath().normalize().getParent())) {
      throw new HttpError(400, "\"file\" must be a bare file name in the plugin directory: '" + name + "'");
    }
    if (!Files.isRegularFile(file)) {
      throw new HttpError(400, "no plugin file '" + name + "' in the plugin directory; files there: "
          + pluginFiles(dir));
    }
    return file;
  }

  private static String pluginFiles(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      String names = files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".plugin"))
          .sorted()
          .collect(Collectors.joining(", "));
      return names.isEmpty() ? "none" : names;
    } catch (IOException e) {
      return "(cannot list it: " + e.getMessage() + ")";
    }
  }
}
