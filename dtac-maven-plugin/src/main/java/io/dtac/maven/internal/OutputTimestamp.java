package io.dtac.maven.internal;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * The time written on every entry of a plugin's jar, from {@code project.build.outputTimestamp}
 * as Maven's own archivers read it (ISO-8601 with an offset, or seconds since the epoch). Without
 * one it is still fixed, 1980-02-01 (as Gradle's reproducible archives use), so that the same code
 * always gives the same file and the same SHA-256.
 */
public final class OutputTimestamp {
  /** The time used when the project sets none. */
  public static final Instant DEFAULT = Instant.parse("1980-02-01T00:00:00Z");

  private static final Instant MIN = Instant.parse("1980-01-01T00:00:00Z");
  private static final Instant MAX = Instant.parse("2107-12-31T23:59:58Z");

  private OutputTimestamp() {}

  /**
   * Parses {@code value}; null, blank or a single character (Maven's way to say "not set") gives
   * {@link #DEFAULT}.
   *
   * @throws PackagingException if the value is neither form or outside what a zip entry holds
   */
  public static Instant parse(String value) throws PackagingException {
    if (value == null || value.isBlank() || value.trim().length() < 2) {
      return DEFAULT;
    }
    String v = value.trim();
    Instant t;
    try {
      t = v.chars().allMatch(Character::isDigit)
          ? Instant.ofEpochSecond(Long.parseLong(v))
          : OffsetDateTime.parse(v).toInstant();
    } catch (DateTimeParseException | NumberFormatException e) {
      throw new PackagingException("project.build.outputTimestamp '" + v + "' is not a time: use ISO-8601 with an"
          + " offset (2026-01-01T00:00:00Z) or seconds since the epoch");
    }
    if (t.isBefore(MIN) || t.isAfter(MAX)) {
      throw new PackagingException("project.build.outputTimestamp '" + v
          + "' is outside what a zip entry can hold (1980-01-01 to 2107-12-31)");
    }
    return t;
  }

  /** The zip entry time for {@code t}: the same date and time fields in every time zone. */
  static LocalDateTime entryTime(Instant t) {
    return LocalDateTime.ofInstant(t, ZoneOffset.UTC);
  }
}
