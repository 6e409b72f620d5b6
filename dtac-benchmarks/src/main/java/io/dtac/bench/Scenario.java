package io.dtac.bench;

/** The four ways the caller plugin reaches the target plugin. */
enum Scenario {
  /** The caller dials the target itself, grpc-java defaults, plaintext TCP on loopback. */
  DIRECT_DEFAULT("direct_default", "direct-default", BrokerSetup.SECURITY_OFF),
  /** The caller dials the target itself over the tuned transport. */
  DIRECT_TUNED("direct_tuned", "direct-tuned", BrokerSetup.SECURITY_OFF),
  /** Caller -> agent -> target through the broker with its default settings (security on). */
  BROKERED_DEFAULT("brokered_default", "broker", BrokerSetup.DEFAULTS),
  /** Caller -> agent -> target through the broker with security off. */
  BROKERED_SECURITY_OFF("brokered_security_off", "broker", BrokerSetup.SECURITY_OFF);

  final String label;
  /** The caller plugin's route: see {@code BenchCallerPlugin}. */
  final String route;
  /** Whose caller and target plugin processes run the scenario. */
  final BrokerSetup setup;

  Scenario(String label, String route, BrokerSetup setup) {
    this.label = label;
    this.route = route;
    this.setup = setup;
  }

  boolean direct() {
    return !route.equals("broker");
  }
}
