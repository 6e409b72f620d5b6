package io.dtac.maven.internal;

import java.lang.management.ManagementFactory;

/** A main class for packaged test plugins: prints its JVM options, then its arguments, one a line. */
public final class PrintArgs {
  private PrintArgs() {}

  public static void main(String[] args) {
    System.out.println(("jvm " + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments())).trim());
    System.out.println("java.home " + System.getProperty("java.home"));
    for (String a : args) {
      System.out.println("arg " + a);
    }
  }
}
