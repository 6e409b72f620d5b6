package io.dtac.examples.agent;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.rolling.RollingFileAppender;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Logback's size-rolling file appender, except that each file it opens (the first, and the new
 * one after every rollover) is created owner-read/write only ({@code 0600}) rather than with the
 * process's umask: the agent's log and audit trail name its plugins, callers and paths.
 * Rolled-over files keep their mode (they are renamed, not copied).
 */
public final class OwnerOnlyRollingFileAppender extends RollingFileAppender<ILoggingEvent> {
  @Override
  public void openFile(String fileName) throws IOException {
    Path file = Path.of(fileName);
    if (!Files.exists(file)) {
      try {
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
          Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
          Files.createFile(file);
        }
      } catch (FileAlreadyExistsException raced) {
        // created meanwhile: Logback appends to it
      }
    }
    super.openFile(fileName);
  }
}
