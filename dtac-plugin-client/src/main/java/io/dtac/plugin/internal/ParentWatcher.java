package io.dtac.plugin.internal;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.Consumer;

/**
 * Notices that the agent that launched this plugin is gone, so that a plugin never outlives its
 * agent: the parent process ends (even by SIGKILL), or stdin, a pipe the agent holds open,
 * reaches end of file.
 */
public final class ParentWatcher {
  private ParentWatcher() {}

  /** Calls {@code onGone} once, on a daemon thread, with the reason the agent is considered gone. */
  public static void watch(boolean watchStdin, Consumer<String> onGone) {
    Consumer<String> once = new Once(onGone);
    ProcessHandle.current()
        .parent()
        .filter(p -> p.pid() > 1)
        .ifPresent(p -> p.onExit().thenRun(() -> once.accept("agent process " + p.pid() + " ended")));
    if (watchStdin) {
      Thread t =
          new Thread(
              () -> {
                InputStream in = System.in;
                byte[] buf = new byte[256];
                try {
                  while (in.read(buf) >= 0) {
                    // the agent writes nothing; anything read is ignored
                  }
                } catch (IOException ignored) {
                  // a broken pipe means the same as end of file
                }
                once.accept("stdin closed");
              },
              "dtac-stdin-watch");
      t.setDaemon(true);
      t.start();
    }
  }

  private static final class Once implements Consumer<String> {
    private final Consumer<String> delegate;
    private boolean fired;

    Once(Consumer<String> delegate) {
      this.delegate = delegate;
    }

    @Override
    public void accept(String reason) {
      synchronized (this) {
        if (fired) {
          return;
        }
        fired = true;
      }
      delegate.accept(reason);
    }
  }
}
