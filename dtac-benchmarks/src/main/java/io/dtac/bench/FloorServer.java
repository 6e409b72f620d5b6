package io.dtac.bench;

import io.dtac.bench.plugin.RawUdsEcho;
import io.dtac.core.Protocol;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The floor scenario's echo server ({@link RawUdsEcho}) as a process of its own, on the plugins'
 * JDK with the benchmark plugins' JVM options, so that the floor's two JVMs are like the plugins'.
 */
final class FloorServer implements AutoCloseable {
  /** The benchmark plugins' JVM options (dtac-benchmarks' pom, jvmOptions of dtac-maven-plugin). */
  private static final List<String> JVM_OPTIONS = List.of("-Xshare:auto");

  private final Process process;
  private final String address;
  private final Path dir;

  private FloorServer(Process process, String address, Path dir) {
    this.process = process;
    this.address = address;
    this.dir = dir;
  }

  static FloorServer start(Path benchDir, Path javaHome) throws IOException {
    Path dir = Files.createTempDirectory("dtac-floor-");
    List<String> command = new java.util.ArrayList<>();
    command.add(javaHome.resolve("bin").resolve("java").toString());
    command.addAll(JVM_OPTIONS);
    command.addAll(List.of("-cp", benchDir.resolve("lib") + "/*", RawUdsEcho.class.getName(), dir.toString()));
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = out.readLine();
    if (line == null || !line.startsWith(Protocol.UNIX_ADDRESS_PREFIX)) {
      p.destroyForcibly();
      Files.deleteIfExists(dir);
      throw new IOException("the floor's echo server did not start (it printed " + line + ")");
    }
    return new FloorServer(p, line, dir);
  }

  /** {@code unix:PATH}. */
  String address() {
    return address;
  }

  long pid() {
    return process.pid();
  }

  /** The server's CPU time so far, ns, compilers excluded; asked over a connection of its own. */
  long cpuNanos() {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      c.connect(UnixDomainSocketAddress.of(address.substring(Protocol.UNIX_ADDRESS_PREFIX.length())));
      ByteBuffer q = ByteBuffer.allocate(4).putInt(0, RawUdsEcho.CPU_QUERY);
      while (q.hasRemaining()) {
        c.write(q);
      }
      ByteBuffer a = ByteBuffer.allocate(8);
      while (a.hasRemaining()) {
        if (c.read(a) < 0) {
          throw new IOException("the floor's echo server closed the connection");
        }
      }
      return a.getLong(0);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the floor server's CPU time", e);
    }
  }

  /** Closes the server's stdin (it removes its socket and exits), then waits for it. Idempotent. */
  @Override
  public void close() {
    try {
      process.getOutputStream().close();
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(dir.resolve("floor.sock"));
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // a temporary directory left behind is harmless
    }
  }
}
