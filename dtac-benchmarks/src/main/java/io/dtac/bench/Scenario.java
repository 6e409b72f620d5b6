package io.dtac.bench;

import java.util.List;

/** The ways the caller plugin reaches the target plugin. */
enum Scenario {
  /** The caller dials the target itself, grpc-java defaults, plaintext TCP on loopback. */
  DIRECT_DEFAULT("direct_default", "direct-default", null),
  /** The caller dials the target itself over the tuned transport. */
  DIRECT_TUNED("direct_tuned", "direct-tuned", null),
  /**
   * The floor: the caller's raw round trip over a Unix domain socket to an echo server in a JVM of
   * its own ({@code RawUdsEcho}), no gRPC; one connection per call in flight.
   */
  FLOOR_RAW_UDS("floor_raw_uds", "floor-raw-uds", null),
  /** Caller -> agent -> target through the broker with its default settings (security on). */
  BROKERED_DEFAULT("brokered_default", "broker", BrokerSetup.DEFAULTS),
  /** Caller -> agent -> target through the broker with TLS on as well. */
  BROKERED_TLS_ON("brokered_tls_on", "broker", BrokerSetup.TLS_ON),
  /** Caller -> agent -> target through the broker with security off. */
  BROKERED_SECURITY_OFF("brokered_security_off", "broker", BrokerSetup.SECURITY_OFF),
  /** Like {@link #BROKERED_SECURITY_OFF} over loopback TCP: run with {@code --levers} only. */
  BROKERED_TCP_ONLY("brokered_tcp_only", "broker", BrokerSetup.TCP_ONLY);

  /** The scenarios of every run; the others are levers, measured with {@code --levers}. */
  static final List<Scenario> MAIN =
      List.of(FLOOR_RAW_UDS, DIRECT_DEFAULT, DIRECT_TUNED, BROKERED_DEFAULT, BROKERED_TLS_ON, BROKERED_SECURITY_OFF);

  final String label;
  /** The caller plugin's route: see {@code BenchCallerPlugin}. */
  final String route;
  /**
   * Whose caller and target plugin processes run the scenario; null for the direct scenarios,
   * which take turns on every broker's pair (see {@code ProcessBenchmark}).
   */
  final BrokerSetup setup;

  Scenario(String label, String route, BrokerSetup setup) {
    this.label = label;
    this.route = route;
    this.setup = setup;
  }

  /** Not through a broker: the caller reaches the target (or the floor's echo server) itself. */
  boolean direct() {
    return !route.equals("broker");
  }

  boolean floor() {
    return this == FLOOR_RAW_UDS;
  }
}
