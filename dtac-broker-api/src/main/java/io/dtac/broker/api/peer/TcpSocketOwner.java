package io.dtac.broker.api.peer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;

/**
 * Finds the process that owns the other end of a loopback TCP connection on Linux, as {@code ss
 * -p} does: the socket whose local address is the peer's and whose remote address is ours is
 * looked up in {@code /proc/net/tcp} and {@code /proc/net/tcp6} (its inode and user), then its
 * inode among the file descriptors of the candidate processes ({@code /proc/PID/fd}). Only the
 * candidates are searched, so a lookup costs a few directory reads; it is done once per connection.
 */
public final class TcpSocketOwner {
  private static final Path PROC = Path.of("/proc");

  private TcpSocketOwner() {}

  /**
   * Whether this system has the files the lookup reads (Linux).
   *
   * @return true when {@code /proc/net/tcp} or {@code /proc/net/tcp6} is readable
   */
  public static boolean available() {
    return Files.isReadable(PROC.resolve("net/tcp")) || Files.isReadable(PROC.resolve("net/tcp6"));
  }

  /**
   * Finds the process among {@code candidates} that holds the socket connected from {@code peer}
   * to {@code self}, both as seen from this end. Never throws: what goes wrong is the returned
   * peer's {@linkplain Peer#problem() problem}.
   *
   * @param self this end's address of the connection
   * @param peer the other end's address
   * @param candidates the process ids to search, in order
   * @return the owner, or an {@linkplain Peer#known() unknown} peer saying why none was found
   */
  public static Peer find(InetSocketAddress self, InetSocketAddress peer, Collection<Long> candidates) {
    if (!available()) {
      return Peer.unknown(Peer.TCP, "this system has no /proc/net/tcp");
    }
    long[] socket = findSocket(peer, self, false);
    if (socket == null) {
      return Peer.unknown(Peer.TCP, "no socket from " + peer + " to " + self + " in /proc/net/tcp");
    }
    return owner(socket, peer, candidates);
  }

  /**
   * Finds the process among {@code candidates} that listens on {@code server}: what a client
   * checks, since the server's end of a new connection may not be accepted (in its file table)
   * yet when the client's end is connected. Never throws.
   *
   * @param server the address the server listens on
   * @param candidates the process ids to search, in order
   * @return the listener, or an {@linkplain Peer#known() unknown} peer saying why none was found
   */
  public static Peer findListener(InetSocketAddress server, Collection<Long> candidates) {
    if (!available()) {
      return Peer.unknown(Peer.TCP, "this system has no /proc/net/tcp");
    }
    long[] socket = findSocket(server, null, true);
    if (socket == null) {
      return Peer.unknown(Peer.TCP, "nothing listens on " + server + " in /proc/net/tcp");
    }
    return owner(socket, server, candidates);
  }

  private static Peer owner(long[] socket, InetSocketAddress peer, Collection<Long> candidates) {
    long inode = socket[0];
    int uid = (int) socket[1];
    String link = "socket:[" + inode + "]";
    for (long pid : candidates) {
      if (holds(pid, link)) {
        return new Peer(pid, uid, Peer.TCP, null);
      }
    }
    return Peer.unknown(Peer.TCP, "the socket from " + peer + " (uid " + uid + ") belongs to none of the processes it may come from");
  }

  /**
   * {inode, uid} of the socket whose local address is {@code local} and remote {@code remote},
   * or of the socket listening on {@code local} (its address, or any address, and its port), in
   * the IPv4 or IPv6 table.
   */
  private static long[] findSocket(InetSocketAddress local, InetSocketAddress remote, boolean listening) {
    for (String table : List.of("net/tcp", "net/tcp6")) {
      long[] socket = findSocket(PROC.resolve(table), local, remote, listening);
      if (socket != null) {
        return socket;
      }
    }
    return null;
  }

  private static long[] findSocket(Path table, InetSocketAddress local, InetSocketAddress remote, boolean listening) {
    List<String> lines;
    try {
      lines = Files.readAllLines(table);
    } catch (IOException e) {
      return null;
    }
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).trim().split("\\s+");
      if (f.length < 10) {
        continue;
      }
      boolean match = listening
          ? f[3].equals(LISTEN) && (same(f[1], local) || sameWildcard(f[1], local.getPort()))
          : same(f[1], local) && same(f[2], remote);
      if (match) {
        return new long[] {Long.parseLong(f[9]), Long.parseLong(f[7])};
      }
    }
    return null;
  }

  private static final String LISTEN = "0A";

  /** Whether the /proc/net hex address is the wildcard address with {@code port}. */
  private static boolean sameWildcard(String hex, int port) {
    int colon = hex.indexOf(':');
    InetAddress parsed = address(hex.substring(0, colon));
    return parsed != null && parsed.isAnyLocalAddress() && Integer.parseInt(hex.substring(colon + 1), 16) == port;
  }

  /** Whether the /proc/net hex address "HEXADDR:HEXPORT" is {@code a}. */
  static boolean same(String hex, InetSocketAddress a) {
    int colon = hex.indexOf(':');
    if (colon < 0 || Integer.parseInt(hex.substring(colon + 1), 16) != a.getPort()) {
      return false;
    }
    InetAddress parsed = address(hex.substring(0, colon));
    return parsed != null && parsed.equals(a.getAddress());
  }

  /**
   * The kernel prints each 32-bit word of the address in host byte order (little-endian here);
   * IPv4-mapped IPv6 addresses become IPv4 addresses, as Java reports dual-stack peers.
   */
  static InetAddress address(String hex) {
    byte[] raw = HexFormat.of().parseHex(hex);
    byte[] bytes = new byte[raw.length];
    for (int w = 0; w < raw.length; w += 4) {
      for (int b = 0; b < 4; b++) {
        bytes[w + b] = raw[w + 3 - b];
      }
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static boolean holds(long pid, String link) {
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(PROC.resolve(Long.toString(pid)).resolve("fd"))) {
      for (Path fd : fds) {
        try {
          if (link.equals(Files.readSymbolicLink(fd).toString())) {
            return true;
          }
        } catch (IOException e) {
          // the descriptor was closed meanwhile
        }
      }
    } catch (IOException | SecurityException e) {
      return false;
    }
    return false;
  }
}
