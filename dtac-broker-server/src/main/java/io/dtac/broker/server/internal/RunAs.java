package io.dtac.broker.server.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The OS account a plugin process runs as, when its configuration names one: resolved with
 * {@code getent} (so NSS users count too), and applied with util-linux's {@code setpriv}, which
 * changes the real and effective user and group and the supplementary groups, then execs the
 * plugin file (the plugin keeps the process id the agent launched).
 */
public record RunAs(String name, int uid, int gid, String home) {
  private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

  /**
   * Resolves {@code user} (name or uid) and {@code group} (name, gid, or null for the user's).
   *
   * @throws IOException naming what is wrong: the agent is not root, no such user or group, no setpriv
   */
  public static RunAs resolve(String user, String group) throws IOException {
    if (!isRoot()) {
      throw new IOException(
          "it is configured to run as user '" + user + "', but the agent does not run as root"
              + " and cannot change users; run the agent as root or drop the plugin's user setting");
    }
    if (!SETPRIV.toFile().canExecute()) {
      throw new IOException("it is configured to run as user '" + user + "', but " + SETPRIV
          + " (util-linux) is missing");
    }
    String[] pw = getent("passwd", user);
    if (pw == null || pw.length < 6) {
      throw new IOException("it is configured to run as user '" + user + "', which does not exist");
    }
    int gid = Integer.parseInt(pw[3]);
    if (group != null) {
      String[] gr = getent("group", group);
      if (gr == null || gr.length < 3) {
        throw new IOException("it is configured to run as group '" + group + "', which does not exist");
      }
      gid = Integer.parseInt(gr[2]);
    }
    return new RunAs(pw[0], Integer.parseInt(pw[2]), gid, pw[5]);
  }

  /** The command that runs {@code file} as this account. */
  public List<String> command(String file) {
    List<String> c = new ArrayList<>();
    c.add(SETPRIV.toString());
    c.add("--reuid=" + uid);
    c.add("--regid=" + gid);
    c.add("--init-groups");
    c.add("--");
    c.add(file);
    return c;
  }

  static boolean isRoot() {
    try {
      Object uid = java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      return Integer.valueOf(0).equals(uid);
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  private static String[] getent(String database, String key) throws IOException {
    Process p = new ProcessBuilder("getent", database, key).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("getent " + database + " " + key + " did not answer");
      }
      return p.exitValue() == 0 && !out.isEmpty() ? out.split("\n")[0].split(":", -1) : null;
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while looking up " + key);
    }
  }
}
