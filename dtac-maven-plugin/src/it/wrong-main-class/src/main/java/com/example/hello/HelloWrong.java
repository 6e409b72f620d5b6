package com.example.hello;

import io.dtac.core.Action;
import io.dtac.plugin.PluginBase;
import io.dtac.plugin.PluginHost;
import io.dtac.core.Response;
import java.util.Map;

public final class HelloWrong extends PluginBase {
  public HelloWrong() {
    super("HelloWrong", "wrong");
    endpoint(Action.READ, "hello", "Answers {\"message\": ...}", request -> Response.json(Map.of("message", "packaged")));
  }

  public static void main(String[] args) {
    PluginHost.serve(new HelloWrong());
  }
}
