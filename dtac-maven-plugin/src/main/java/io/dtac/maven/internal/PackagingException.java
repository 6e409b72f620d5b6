package io.dtac.maven.internal;

/**
 * The project or its configuration cannot be packaged as a plugin. The message says what to change;
 * the Maven goal reports it as a build failure.
 */
public final class PackagingException extends Exception {
  public PackagingException(String message) {
    super(message);
  }
}
