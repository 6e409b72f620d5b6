package io.dtac.maven.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LauncherTest {
  @Test
  void headerExecsJavaOnItselfWithTheDefaultsUnlessDtacPluginJavaOptsIsSet() {
    String header = Launcher.header("hello.plugin", List.of("-Xss512k", "-Xms8m"));
    assertTrue(header.startsWith("#!/bin/sh\n"), header);
    assertTrue(header.endsWith("exec \"$java\" -Xlog:disable -Xlog:all=warning:stderr ${DTAC_PLUGIN_JAVA_OPTS:--Xss512k -Xms8m} -jar \"$0\" \"$@\"\n"), header);
    assertTrue(header.contains("[ -n \"$JAVA_HOME\" ] && java=\"$JAVA_HOME/bin/java\"\n"), header);
  }

  @Test
  void optionsAreSplitOnSpacesAndMayNotHoldWhatTheShellWouldRead() throws PackagingException {
    assertEquals(List.of("-XX:TieredStopAtLevel=1", "-Dname=a,b@c%d+e/f.g"),
        Launcher.options("  -XX:TieredStopAtLevel=1 \t -Dname=a,b@c%d+e/f.g "));
    assertEquals(List.of(), Launcher.options(" "));
    assertEquals(List.of(), Launcher.options(null));
    for (String bad : List.of("-Dx=$HOME", "-Dx=`id`", "-Dx='a'", "-Dx=\"a\"", "-Dx=*", "-Dx=a;b", "-Dx=}", "-Dx=\\n")) {
      String message = assertThrows(PackagingException.class, () -> Launcher.options(bad)).getMessage();
      assertTrue(message.startsWith("jvmOptions: '" + bad + "' has a character the launcher cannot carry literally"), message);
    }
    assertEquals("jvmOptions: 'io.example.Main' is not a JVM option (they start with '-'); the launcher adds -jar and"
        + " the plugin's arguments itself",
        assertThrows(PackagingException.class, () -> Launcher.options("-Xss1m io.example.Main")).getMessage());
  }

  @Test
  void theDefaultOptionsAreTheFastSmallOnes() throws PackagingException {
    assertEquals(List.of("-XX:TieredStopAtLevel=1", "-XX:CICompilerCount=1", "-XX:ReservedCodeCacheSize=16m",
            "-XX:+UseSerialGC", "-Xss512k", "-Xms8m", "-Xmx256m", "-XX:-UsePerfData", "-Xshare:auto",
            "-Dio.grpc.netty.shaded.io.netty.allocator.numDirectArenas=1",
            "-Dio.grpc.netty.shaded.io.netty.allocator.numHeapArenas=1"),
        Launcher.options(Launcher.DEFAULT_JVM_OPTIONS));
  }
}
