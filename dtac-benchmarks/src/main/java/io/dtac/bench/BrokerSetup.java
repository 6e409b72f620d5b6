package io.dtac.bench;

import io.dtac.broker.server.PluginBroker;

/**
 * The broker configurations the brokered scenarios compare. Switching security is the one
 * builder call in {@link #configure}; everything else is the broker's default.
 */
enum BrokerSetup {
  /** The broker exactly as it ships: its defaults, security included. */
  DEFAULTS {
    @Override
    PluginBroker.Builder configure(PluginBroker.Builder b) {
      return b;
    }
  },
  /**
   * The broker with security switched off. The broker has no security switch yet (issue 4 builds
   * it), so until then this equals {@link #DEFAULTS}.
   */
  SECURITY_OFF {
    @Override
    PluginBroker.Builder configure(PluginBroker.Builder b) {
      return b;
    }
  },
  /** Security off and no Unix domain sockets: what the Unix socket lever buys ({@code --levers}). */
  TCP_ONLY {
    @Override
    PluginBroker.Builder configure(PluginBroker.Builder b) {
      return SECURITY_OFF.configure(b).unixSockets(false);
    }
  };

  abstract PluginBroker.Builder configure(PluginBroker.Builder b);
}
