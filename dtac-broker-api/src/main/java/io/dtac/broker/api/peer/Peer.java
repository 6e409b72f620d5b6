package io.dtac.broker.api.peer;

/**
 * The process at the other end of a connection, as the kernel reports it: from the Unix socket's
 * peer credentials ({@code SO_PEERCRED}), or from the owner of the peer's TCP socket on loopback
 * ({@code /proc/net/tcp*} and the candidate processes' file descriptors). Never from anything the
 * peer sends.
 *
 * @param pid the peer's process id, or -1 when it could not be found ({@link #problem()} says why)
 * @param uid the peer's user id, or -1 when unknown
 * @param mechanism how it was found, for messages: "unix socket peer credentials" or "TCP socket owner"
 * @param problem why the peer is unknown, or null when {@code pid} is known
 */
public record Peer(long pid, int uid, String mechanism, String problem) {
  /** The {@link #mechanism()} of a peer read from a Unix socket's {@code SO_PEERCRED}. */
  public static final String UNIX = "unix socket peer credentials";
  /** The {@link #mechanism()} of a peer found as the owner of a loopback TCP socket. */
  public static final String TCP = "TCP socket owner";

  /**
   * A peer the kernel could not name, with the reason.
   *
   * @param mechanism how it was looked for, {@link #UNIX} or {@link #TCP}
   * @param problem why it was not found, for messages
   * @return a peer with pid and uid -1
   */
  public static Peer unknown(String mechanism, String problem) {
    return new Peer(-1, -1, mechanism, problem);
  }

  /**
   * Whether the kernel named the peer process.
   *
   * @return true when {@link #pid()} is a process id
   */
  public boolean known() {
    return pid > 0;
  }

  @Override
  public String toString() {
    return known() ? "process " + pid + " (uid " + uid + ", by " + mechanism + ")" : "unknown process (" + problem + ")";
  }
}
