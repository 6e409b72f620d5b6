package io.dtac.maven.internal;

/**
 * An entry that two inputs hold with different content. Like a class loader, the plugin keeps the
 * first input's copy.
 *
 * @param name the entry, e.g. {@code com/example/Util.class}
 * @param kept the input whose copy is in the plugin
 * @param dropped the input whose copy is not
 */
public record Conflict(String name, String kept, String dropped) {}
