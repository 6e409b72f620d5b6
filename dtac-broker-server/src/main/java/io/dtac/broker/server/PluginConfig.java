package io.dtac.broker.server;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The agent's configuration of one plugin file, matched by the file's name without
 * {@code .plugin} (e.g. "hello" for {@code hello.plugin}). Immutable.
 */
public final class PluginConfig {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  /** A POSIX user or group name, or a numeric id. */
  private static final Pattern ACCOUNT = Pattern.compile("[a-z_][a-z0-9_-]{0,31}\\$?|[0-9]{1,10}");

  private final String fileStem;
  private final boolean enabled;
  private final String rootPath;
  private final String configJson;
  private final String expectedSha256;
  private final String user;
  private final String group;

  private PluginConfig(Builder b) {
    this.fileStem = b.fileStem;
    this.enabled = b.enabled;
    this.rootPath = b.rootPath;
    this.configJson = b.configJson;
    this.expectedSha256 = b.expectedSha256;
    this.user = b.user;
    this.group = b.group;
  }

  /**
   * Starts the configuration of the plugin file {@code fileStem + ".plugin"}.
   *
   * @param fileStem the file's name without {@code .plugin}, e.g. "hello"; checked by {@link
   *     Builder#build()}
   * @return a new builder with the defaults of {@link #defaults(String)}
   * @throws NullPointerException if {@code fileStem} is null
   */
  public static Builder builder(String fileStem) {
    return new Builder(fileStem);
  }

  /**
   * The configuration of a plugin nobody configured: enabled, its own root path, configuration
   * "{}", no checksum, the agent's own user.
   *
   * @param fileStem the file's name without {@code .plugin}
   * @return the default configuration of that file
   * @throws IllegalArgumentException if {@code fileStem} is empty or holds '/'
   */
  public static PluginConfig defaults(String fileStem) {
    return builder(fileStem).build();
  }

  /**
   * Which plugin file this configures.
   *
   * @return the file's name without {@code .plugin}, e.g. "hello"
   */
  public String fileStem() {
    return fileStem;
  }

  /**
   * Whether the broker launches the file.
   *
   * @return false for a disabled plugin, which is not launched
   */
  public boolean enabled() {
    return enabled;
  }

  /**
   * The root path that replaces the one the plugin announces.
   *
   * @return the configured root path, or empty to keep the plugin's own
   */
  public Optional<String> rootPath() {
    return Optional.ofNullable(rootPath);
  }

  /**
   * The plugin's own configuration, handed to it in {@code RegisterRequest.config}.
   *
   * @return a JSON object, as text; "{}" by default
   */
  public String configJson() {
    return configJson;
  }

  /**
   * The checksum the plugin file must have to be launched.
   *
   * @return its SHA-256 in lower-case hex, or empty when any file is launched
   */
  public Optional<String> expectedSha256() {
    return Optional.ofNullable(expectedSha256);
  }

  /**
   * The OS user the plugin process runs as (the agent must run as root).
   *
   * @return a user name or numeric uid, or empty for the agent's own user
   */
  public Optional<String> user() {
    return Optional.ofNullable(user);
  }

  /**
   * The primary OS group the plugin process runs with.
   *
   * @return a group name or numeric gid, or empty for the user's own groups
   */
  public Optional<String> group() {
    return Optional.ofNullable(group);
  }

  /** Builds a {@link PluginConfig}; validates on {@link #build()}. Not thread-safe. */
  public static final class Builder {
    private final String fileStem;
    private boolean enabled = true;
    private String rootPath;
    private String configJson = "{}";
    private String expectedSha256;
    private String user;
    private String group;

    private Builder(String fileStem) {
      this.fileStem = Objects.requireNonNull(fileStem, "fileStem");
    }

    /**
     * Enables or disables the plugin: a disabled plugin is not launched. Default: enabled.
     *
     * @param enabled false to disable it
     * @return this builder
     */
    public Builder enabled(boolean enabled) {
      this.enabled = enabled;
      return this;
    }

    /**
     * Serves the plugin's endpoints under this root path instead of the one it announces.
     *
     * @param rootPath the root path, e.g. "greetings"
     * @return this builder
     * @throws NullPointerException if {@code rootPath} is null
     */
    public Builder rootPath(String rootPath) {
      this.rootPath = Objects.requireNonNull(rootPath, "rootPath");
      return this;
    }

    /**
     * Sets the plugin's own configuration, which the broker hands over without interpreting it.
     *
     * @param json a JSON object, as text; {@link #build()} checks that it is braced
     * @return this builder
     * @throws NullPointerException if {@code json} is null
     */
    public Builder configJson(String json) {
      this.configJson = Objects.requireNonNull(json, "json");
      return this;
    }

    /**
     * Refuses to launch the file unless its SHA-256 is this (dtac-maven-plugin prints it).
     *
     * @param hex 64 hex digits, either case
     * @return this builder
     * @throws NullPointerException if {@code hex} is null
     */
    public Builder expectedSha256(String hex) {
      this.expectedSha256 = Objects.requireNonNull(hex, "hex").toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * Runs the plugin process as this OS user (a name or a numeric uid), as the DTAC agent's
     * plugin configuration allows: the kernel then keeps it out of other plugins' processes and
     * files. The agent must run as root; a plugin configured so under another agent fails to load
     * with a message that says so. Default: the agent's own user.
     *
     * @param user a user name or a numeric uid
     * @return this builder
     * @throws NullPointerException if {@code user} is null
     */
    public Builder user(String user) {
      this.user = Objects.requireNonNull(user, "user");
      return this;
    }

    /**
     * Runs the plugin process with this primary group; needs {@link #user}.
     *
     * @param group a group name or a numeric gid
     * @return this builder
     * @throws NullPointerException if {@code group} is null
     */
    public Builder group(String group) {
      this.group = Objects.requireNonNull(group, "group");
      return this;
    }

    /**
     * Validates what was set and creates the configuration.
     *
     * @return a new, immutable configuration
     * @throws IllegalArgumentException if a value is malformed (the message names the file and
     *     the value), or a group is set without a user
     */
    public PluginConfig build() {
      if (fileStem.isEmpty() || fileStem.contains("/")) {
        throw new IllegalArgumentException(
            "plugin file stem '" + fileStem + "' must be a file name without '.plugin', e.g. 'hello'");
      }
      if (expectedSha256 != null && !SHA256.matcher(expectedSha256).matches()) {
        throw new IllegalArgumentException(
            "expected SHA-256 of " + fileStem + ".plugin must be 64 hex digits, got '"
                + expectedSha256 + "'");
      }
      if (user != null && !ACCOUNT.matcher(user).matches()) {
        throw new IllegalArgumentException(
            "user of " + fileStem + ".plugin must be a user name or a numeric uid, got '" + user + "'");
      }
      if (group != null && !ACCOUNT.matcher(group).matches()) {
        throw new IllegalArgumentException(
            "group of " + fileStem + ".plugin must be a group name or a numeric gid, got '" + group + "'");
      }
      if (group != null && user == null) {
        throw new IllegalArgumentException(
            "group of " + fileStem + ".plugin is set without a user; set user(...) too");
      }
      String trimmed = configJson.trim();
      if (!trimmed.startsWith("{") || !trimmed.endsWith("}")) {
        throw new IllegalArgumentException(
            "config of " + fileStem + ".plugin must be a JSON object, got: " + configJson);
      }
      return new PluginConfig(this);
    }
  }
}
