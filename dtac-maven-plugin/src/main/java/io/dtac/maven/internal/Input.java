package io.dtac.maven.internal;

import java.nio.file.Path;

/**
 * One part of a plugin's classpath: a jar or a directory of classes.
 *
 * @param label how messages name it, e.g. {@code target/classes} or {@code grpc-api-1.85.1.jar}
 * @param path the jar file or the directory
 */
public record Input(String label, Path path) {}
