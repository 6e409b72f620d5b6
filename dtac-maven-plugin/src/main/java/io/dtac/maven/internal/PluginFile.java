package io.dtac.maven.internal;

import java.nio.file.Path;
import java.util.List;

/**
 * A written plugin file.
 *
 * @param path {@code NAME.plugin}
 * @param size its size in bytes
 * @param sha256 its SHA-256, lower-case hex: what {@code expectedSha256} pins
 * @param conflicts entries that two inputs held with different content (the first one's copy is in the file)
 */
public record PluginFile(Path path, long size, String sha256, List<Conflict> conflicts) {
  public PluginFile {
    conflicts = List.copyOf(conflicts);
  }

  /** The size in MiB with one decimal, e.g. {@code 9.8}. */
  public String mebibytes() {
    return String.format(java.util.Locale.ROOT, "%.1f", size / (1024.0 * 1024.0));
  }
}
