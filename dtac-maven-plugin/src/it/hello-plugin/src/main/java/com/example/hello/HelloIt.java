package com.example.hello;

import io.dtac.core.Action;
import io.dtac.plugin.PluginBase;
import io.dtac.plugin.PluginHost;
import io.dtac.core.Response;
import java.util.Map;

public final class HelloIt extends PluginBase {
  public HelloIt() {
    super("HelloIt", "hello-it");
    endpoint(Action.READ, "hello", "Answers {\"message\": ...}", request -> Response.json(Map.of("message", "packaged")));
  }

  public static void main(String[] args) {
    PluginHost.serve(new HelloIt());
  }
}
