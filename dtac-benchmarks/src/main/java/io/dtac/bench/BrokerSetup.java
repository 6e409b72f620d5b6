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
   * The broker with security's switch off: no TLS on the agent-plugin hops. Caller identity, the
   * (allow-all) access policy and the audit record stay: they have no switch.
   */
  SECURITY_OFF {
    @Override
    PluginBroker.Builder configure(PluginBroker.Builder b) {
      return b.tls(false);
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
