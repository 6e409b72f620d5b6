package io.dtac.examples.agent;

import io.dtac.broker.server.internal.ProcessGroupGuard;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The example agent as a child process, driven the way a user drives it: its command line, its
 * stdout, its DTAC_HOME, HTTPS. Black-box: uses none of the agent's classes.
 */
final class AgentProcess implements AutoCloseable {
  private static final Pattern LISTENING = Pattern.compile("^listening on https://localhost:(\\d+) ");
  static final Duration STARTUP = Duration.ofSeconds(90);

  private final Process process;
  private final Path home;
  private final Path stderr;
  private final List<String> lines = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Integer> port = new CompletableFuture<>();
  private final CompletableFuture<Void> stdoutClosed = new CompletableFuture<>();

  private AgentProcess(Process process, Path home, Path stderr) {
    this.process = process;
    this.home = home;
    this.stderr = stderr;
    Thread reader = new Thread(this::readStdout, "agent-stdout-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  /** target/lib: the classpath the build made. */
  static Path lib() {
    return Path.of(System.getProperty("dtac.plugins.dir", "target/plugins")).toAbsolutePath()
        .resolveSibling("lib");
  }

  /** The repository root, where {@code ./dtac} is. */
  static Path repositoryRoot() {
    return lib().getParent().getParent().getParent();
  }

  /** {@code java -cp target/lib/* io.dtac.examples.agent.ExampleAgent ARGS}. */
  static List<String> java(String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-cp", lib() + "/*", "io.dtac.examples.agent.ExampleAgent"));
    command.addAll(List.of(args));
    return command;
  }

  /** {@code java -cp target/lib/*:target/test-classes MAIN ARGS}: a test's own main class. */
  static List<String> javaMain(String mainClass, String... args) {
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
        "-cp", lib() + "/*:" + lib().resolveSibling("test-classes"), mainClass));
    command.addAll(List.of(args));
    return command;
  }

  /** {@code ./dtac ARGS}, run from the repository root. */
  static List<String> dtac(String... args) {
    List<String> command = new ArrayList<>(List.of("./dtac"));
    command.addAll(List.of(args));
    return command;
  }

  /** Starts {@code command} with {@code DTAC_HOME=home}; does not wait for it to serve. */
  static AgentProcess start(List<String> command, Path home) throws IOException {
    return start(command, home, java.util.Map.of());
  }

  /** Like {@link #start(List, Path)}, with {@code env} added to the agent's environment. */
  static AgentProcess start(List<String> command, Path home, java.util.Map<String, String> env) throws IOException {
    Path stderr = home.resolveSibling(home.getFileName() + "-stderr.txt");
    ProcessBuilder pb = new ProcessBuilder(command)
        .directory(repositoryRoot().toFile())
        .redirectError(stderr.toFile());
    pb.environment().putAll(env);
    pb.environment().put("DTAC_HOME", home.toString());
    return new AgentProcess(pb.start(), home, stderr);
  }

  /** The first line of stdout matching {@code pattern}'s group 1, waiting for it up to the start-up time. */
  String awaitLine(Pattern pattern) throws Exception {
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (System.nanoTime() < deadline) {
      for (String line : lines) {
        Matcher m = pattern.matcher(line);
        if (m.find()) {
          return m.group(1);
        }
      }
      if (stdoutClosed.isDone()) {
        break;
      }
      try {
        stdoutClosed.get(50, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        // not yet
      }
    }
    throw new AssertionError("no line matching " + pattern + "\n" + diagnostics());
  }

  private void readStdout() {
    try (BufferedReader r = new BufferedReader(
        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        lines.add(line);
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          port.complete(Integer.parseInt(m.group(1)));
        }
      }
    } catch (IOException e) {
      port.completeExceptionally(e);
    }
    port.completeExceptionally(new IllegalStateException("the agent exited before listening"));
    stdoutClosed.complete(null);
  }

  /** Waits for the "listening on" line; fails with the agent's output if it does not come. */
  int awaitPort() throws Exception {
    try {
      return port.get(STARTUP.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      throw new AssertionError("the agent did not report its port: " + e + "\n" + diagnostics(), e);
    }
  }

  Path home() {
    return home;
  }

  Process process() {
    return process;
  }

  /** Everything it printed on stdout so far. */
  String output() {
    return String.join("\n", lines);
  }

  /** Its stdout, stderr and log, for assertion messages. */
  String diagnostics() {
    StringBuilder sb = new StringBuilder("--- stdout\n").append(output());
    for (Path p : List.of(stderr, home.resolve("logs").resolve("agent.log"))) {
      try {
        List<String> all = Files.readAllLines(p);
        sb.append("\n--- ").append(p).append('\n')
            .append(String.join("\n", all.subList(Math.max(0, all.size() - 40), all.size())));
      } catch (IOException e) {
        sb.append("\n--- ").append(p).append(": ").append(e);
      }
    }
    return sb.toString();
  }

  /** A token from {@code dtac token}, run as its own process with this agent's DTAC_HOME. */
  String token() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(java("token")).redirectErrorStream(true);
    pb.environment().put("DTAC_HOME", home.toString());
    Process p = pb.start();
    String out;
    try (InputStream in = p.getInputStream()) {
      out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new AssertionError("dtac token failed: " + out);
    }
    return out.strip();
  }

  /** An HTTP/1.1 client trusting only the certificate in this agent's DTAC_HOME. */
  HttpClient client() throws Exception {
    return HttpClient.newBuilder()
        .sslContext(sslContext())
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** TLS trusting only the certificate in this agent's DTAC_HOME. */
  SSLContext sslContext() throws Exception {
    Certificate cert;
    try (InputStream in = Files.newInputStream(home.resolve("tls").resolve("cert.pem"))) {
      cert = CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("agent", cert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, tmf.getTrustManagers(), null);
    return tls;
  }

  /** The processes it started (its plugins), now; not the plugins' guards (see ProcessGroupGuard). */
  List<ProcessHandle> children() {
    return process.descendants()
        .filter(h -> !h.info().commandLine().orElse("").contains(ProcessGroupGuard.NAME))
        .collect(Collectors.toList());
  }

  /** Sends SIGTERM and waits for the exit and the end of its stdout; returns the exit code. */
  int terminate() throws Exception {
    // Process.destroy() would also close our end of its stdout, losing what it prints on the way out.
    process.toHandle().destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new AssertionError("the agent did not stop within 60 s of SIGTERM\n" + diagnostics());
    }
    stdoutClosed.get(10, TimeUnit.SECONDS);
    return process.exitValue();
  }

  /** Kills whatever is left (after a failed test). */
  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }
}
