package com.example.quiet;

import io.dtac.plugin.PluginBase;
import io.dtac.plugin.PluginHost;

/** The smallest plugin: a name, a root path, no endpoints. */
public final class QuietPlugin extends PluginBase {

  public QuietPlugin() {
    super("QuietPlugin", "quiet");
  }

  public static void main(String[] args) {
    PluginHost.serve(new QuietPlugin());
  }
}
