package io.dtac.core.internal;

import io.dtac.broker.api.StringList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Conversions between the protocol's {@code map<string, StringList>} and immutable Java maps. */
public final class Multimaps {
  private Multimaps() {}

  public static Map<String, List<String>> copyOf(Map<String, List<String>> source) {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    source.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    return java.util.Collections.unmodifiableMap(copy);
  }

  public static Map<String, List<String>> fromProto(Map<String, StringList> source) {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    source.forEach((k, v) -> copy.put(k, List.copyOf(v.getValuesList())));
    return java.util.Collections.unmodifiableMap(copy);
  }

  public static Map<String, StringList> toProto(Map<String, List<String>> source) {
    Map<String, StringList> copy = new LinkedHashMap<>();
    source.forEach((k, v) -> copy.put(k, StringList.newBuilder().addAllValues(v).build()));
    return copy;
  }
}
