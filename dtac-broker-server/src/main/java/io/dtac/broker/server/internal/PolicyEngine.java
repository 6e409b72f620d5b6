package io.dtac.broker.server.internal;

import io.dtac.broker.api.ListPluginsResponse;
import io.dtac.broker.api.PluginDescription;
import io.dtac.broker.api.PluginEndpoint;
import io.dtac.broker.server.AccessPolicy;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's current {@link AccessPolicy} and how it changes: fixed (from the builder), or read
 * from a file, re-read on {@link #reload()} and, when watching, whenever the file changes. A file
 * that fails to parse never replaces a good policy: the previous one stays in force and the error
 * is logged (and thrown by {@link #reload()}).
 *
 * <p>Thread-safe; {@link #current()} is a volatile read on the call path.
 */
public final class PolicyEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyEngine.class);
  /** Editors write a file in several steps; wait for this much quiet before reading it. */
  private static final long SETTLE_MILLIS = 100;

  private final Path file;
  private volatile AccessPolicy current;
  private volatile byte[] currentBytes;
  private volatile WatchService watcher;
  private volatile Thread watchThread;
  /** Orders {@link #startWatching()} and {@link #close()} (not {@link #reload()}, which the watcher calls). */
  private final Object watching = new Object();
  /** Guarded by {@link #watching}: after {@link #close()} no watcher starts. */
  private boolean closed;

  private PolicyEngine(AccessPolicy policy, Path file, byte[] bytes) {
    this.current = policy;
    this.file = file;
    this.currentBytes = bytes;
  }

  /** A policy that changes only with the engine's owner. */
  public static PolicyEngine fixed(AccessPolicy policy) {
    return new PolicyEngine(policy, null, null);
  }

  /**
   * A policy read from {@code file} now.
   *
   * @throws IllegalArgumentException naming the file and what is wrong with it
   */
  public static PolicyEngine fromFile(Path file) {
    Path absolute = file.toAbsolutePath();
    byte[] bytes = readBytes(absolute);
    return new PolicyEngine(PolicyFileReader.parse(bytes, absolute), absolute, bytes);
  }

  private static byte[] readBytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read access policy file " + file + ": " + e, e);
    }
  }

  public AccessPolicy current() {
    return current;
  }

  /**
   * Re-reads the policy file and puts it in force for calls that start from now on.
   *
   * @return the policy now in force
   * @throws IllegalStateException if the policy did not come from a file
   * @throws IllegalArgumentException if the file is unreadable or invalid (the previous policy
   *     stays in force)
   */
  public synchronized AccessPolicy reload() {
    if (file == null) {
      throw new IllegalStateException(
          "the broker's access policy was not read from a file; configure"
              + " PluginBroker.builder().accessPolicyFile(path) to reload it");
    }
    byte[] bytes = readBytes(file);
    if (Arrays.equals(bytes, currentBytes)) {
      return current;
    }
    AccessPolicy next = PolicyFileReader.parse(bytes, file);
    current = next;
    currentBytes = bytes;
    LOG.info(
        "access policy reloaded from {}: {} rules, default {}",
        file, next.rules().size(), next.defaultEffect().wireName());
    return next;
  }

  /**
   * Decides a plugin's call; the host's own calls ({@link CallerIdentity#isHost()}, whatever
   * the name) are not subject to the policy.
   *
   * @return the decision, or null for the host
   */
  public AccessPolicy.Decision decide(
      CallerIdentity caller, String target, String action, String method) {
    if (caller.isHost()) {
      return null;
    }
    return current.decide(caller.name(), target, action, method);
  }

  /** PERMISSION_DENIED naming the caller, the target, the operation and the deciding rule. */
  public static StatusRuntimeException denied(
      AccessPolicy.Decision d, String caller, String target, String action, String method) {
    return Status.PERMISSION_DENIED
        .withDescription(
            "caller '" + caller + "' may not call plugin '" + target + "' endpoint '"
                + action.toLowerCase(Locale.ROOT) + ":" + method + "': denied by " + d.reason())
        .asRuntimeException();
  }

  /**
   * What {@code caller} may see of a plugin list: the plugins of which it may call at least one
   * endpoint, each with only those endpoints. A plugin that has registered no endpoint yet is
   * shown when the policy allows the caller operation {@code *} on it.
   */
  public ListPluginsResponse visibleTo(CallerIdentity identity, ListPluginsResponse all) {
    if (identity.isHost()) {
      return all;
    }
    String caller = identity.name();
    AccessPolicy policy = current;
    ListPluginsResponse.Builder visible = ListPluginsResponse.newBuilder();
    for (PluginDescription p : all.getDetailsList()) {
      PluginDescription.Builder shown = p.toBuilder().clearEndpoints();
      for (PluginEndpoint e : p.getEndpointsList()) {
        if (policy.decide(caller, p.getName(), e.getAction(), e.getPath()).allowed()) {
          shown.addEndpoints(e);
        }
      }
      boolean show =
          p.getEndpointsCount() == 0
              ? policy.decide(caller, p.getName(), "*", "*").allowed()
              : shown.getEndpointsCount() > 0;
      if (show) {
        visible.addPlugins(p.getName());
        visible.addDetails(shown);
      }
    }
    return visible.build();
  }

  /**
   * Watches the policy file's directory and reloads the file when it is written, created or
   * renamed into place. Does nothing for a fixed policy, or after {@link #close()}. Call once.
   */
  public void startWatching() throws IOException {
    synchronized (watching) {
      if (file == null || closed) {
        return;
      }
      startWatcher();
    }
  }

  private void startWatcher() throws IOException {
    WatchService ws = FileSystems.getDefault().newWatchService();
    try {
      file.getParent().register(
          ws,
          StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
    } catch (IOException | RuntimeException e) {
      ws.close();
      throw e;
    }
    watcher = ws;
    Thread t = new Thread(() -> watch(ws), "dtac-policy-watcher");
    t.setDaemon(true);
    watchThread = t;
    t.start();
    LOG.info("watching access policy file {} for changes", file);
  }

  private void watch(WatchService ws) {
    try {
      while (true) {
        WatchKey key = ws.take();
        boolean ours = drain(key);
        // Settle: keep consuming events until the directory is quiet, then read once.
        WatchKey more;
        while ((more = ws.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS)) != null) {
          ours |= drain(more);
        }
        if (ours && Files.exists(file)) {
          try {
            reload();
          } catch (RuntimeException e) {
            LOG.error("access policy file {} was changed but is not used; the previous policy"
                + " stays in force: {}", file, e.getMessage());
          }
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed: the broker is stopping
    }
  }

  private boolean drain(WatchKey key) {
    boolean ours = false;
    for (WatchEvent<?> event : key.pollEvents()) {
      Object context = event.context();
      if (event.kind() == StandardWatchEventKinds.OVERFLOW
          || (context instanceof Path && file.getFileName().equals(context))) {
        ours = true;
      }
    }
    key.reset();
    return ours;
  }

  /** Stops watching. Idempotent. */
  @Override
  public void close() {
    synchronized (watching) {
      closed = true;
    }
    WatchService ws = watcher;
    if (ws != null) {
      try {
        ws.close();
      } catch (IOException e) {
        LOG.debug("closing the policy file watcher failed", e);
      }
    }
    Thread t = watchThread;
    if (t != null) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
