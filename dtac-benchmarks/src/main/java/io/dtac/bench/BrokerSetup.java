package io.dtac.bench;

import io.dtac.broker.server.PluginBroker;
import io.dtac.broker.server.PluginBrokerBuilder;

/**
 * The broker configurations the brokered scenarios compare. Switching security is the one
 * builder call in {@link #configure}; everything else is the broker's default.
 */
enum BrokerSetup {
  /**
   * The broker exactly as it ships: its defaults, security included (on Linux: callers attested
   * by the kernel, no TLS).
   */
  DEFAULTS {
    @Override
    PluginBrokerBuilder configure(PluginBrokerBuilder b) {
      return b;
    }
  },
  /** The defaults plus mutually pinned TLS on both hops. */
  TLS_ON {
    @Override
    PluginBrokerBuilder configure(PluginBrokerBuilder b) {
      return b.tls(true);
    }
  },
  /**
   * The broker with every security switch off: no kernel attestation (a credential in the clear
   * instead) and no TLS. The (allow-all) access policy and the audit record stay: they have no
   * switch.
   */
  SECURITY_OFF {
    @Override
    PluginBrokerBuilder configure(PluginBrokerBuilder b) {
      return b.kernelIdentity(false).tls(false);
    }
  },
  /** Security off and no Unix domain sockets: what the Unix socket lever buys ({@code --levers}). */
  TCP_ONLY {
    @Override
    PluginBrokerBuilder configure(PluginBrokerBuilder b) {
      return SECURITY_OFF.configure(b).unixSockets(false);
    }
  };

  abstract PluginBrokerBuilder configure(PluginBrokerBuilder b);
}
