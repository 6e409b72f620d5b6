package io.dtac.maven.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class OutputTimestampTest {
  @Test
  void readsIsoWithAnOffsetAndEpochSecondsAsMavenDoes() throws PackagingException {
    assertEquals(Instant.parse("2026-11-24T00:00:00Z"), OutputTimestamp.parse("2026-11-24T00:00:00Z"));
    assertEquals(Instant.parse("2026-11-23T22:00:00Z"), OutputTimestamp.parse("2026-11-24T00:00:00+02:00"));
    assertEquals(Instant.ofEpochSecond(1_700_000_000L), OutputTimestamp.parse("1700000000"));
  }

  @Test
  void unsetIsStillAFixedTime() throws PackagingException {
    assertEquals(Instant.parse("1980-02-01T00:00:00Z"), OutputTimestamp.parse(null));
    assertEquals(OutputTimestamp.DEFAULT, OutputTimestamp.parse(" "));
    assertEquals(OutputTimestamp.DEFAULT, OutputTimestamp.parse("a"), "Maven's one-character 'not set'");
  }

  @Test
  void malformedOrUnzippableTimesFailWithWhatToWrite() {
    assertEquals("project.build.outputTimestamp 'yesterday' is not a time: use ISO-8601 with an offset"
            + " (2026-01-01T00:00:00Z) or seconds since the epoch",
        assertThrows(PackagingException.class, () -> OutputTimestamp.parse("yesterday")).getMessage());
    assertEquals("project.build.outputTimestamp '1970-01-01T00:00:00Z' is outside what a zip entry can hold"
            + " (1980-01-01 to 2107-12-31)",
        assertThrows(PackagingException.class, () -> OutputTimestamp.parse("1970-01-01T00:00:00Z")).getMessage());
  }
}
