package io.dtac.bench;

import io.dtac.bench.jmh.BrokerOverheadBenchmark;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/** Runs {@link BrokerOverheadBenchmark} with JMH and reads back microseconds per call. */
final class OverheadBenchmarks {
  private OverheadBenchmarks() {}

  /** A JMH score: mean microseconds per call and its 99.9% confidence half-width. */
  record Score(double micros, double error) {}

  /**
   * Full: two forked JVMs, each 10 x 1 s warm-up (the broker's call path is large: with 3 s, C2 was
   * still compiling it and its first measured iterations were 3x the last), 5 x 1 s measured. Quick: in this JVM, a few hundred
   * milliseconds per benchmark; proves the benchmarks run, its numbers mean little.
   */
  static Map<String, Score> run(boolean quick) throws RunnerException {
    OptionsBuilder o = new OptionsBuilder();
    // The observability variants (brokerForwardMetered, ...) are run by hand: docs/BENCHMARKS.md.
    o.include(BrokerOverheadBenchmark.class.getName() + "\\.(directCall|routerCall|bareForward|brokerForward)$");
    o.timeUnit(TimeUnit.MICROSECONDS).verbosity(VerboseMode.SILENT).shouldFailOnError(true);
    if (quick) {
      o.forks(0).warmupIterations(2).warmupTime(TimeValue.milliseconds(200))
          .measurementIterations(1).measurementTime(TimeValue.milliseconds(300));
    } else {
      o.forks(2).warmupIterations(10).warmupTime(TimeValue.seconds(1))
          .measurementIterations(5).measurementTime(TimeValue.seconds(1));
    }
    Options options = o.build();
    Collection<RunResult> results = new Runner(options).run();
    Map<String, Score> scores = new LinkedHashMap<>();
    for (RunResult r : results) {
      String label = r.getParams().getBenchmark();
      label = label.substring(label.lastIndexOf('.') + 1);
      Result<?> primary = r.getPrimaryResult();
      double error = primary.getScoreError();
      scores.put(label, new Score(primary.getScore(), Double.isNaN(error) ? 0 : error));
    }
    return scores;
  }
}
