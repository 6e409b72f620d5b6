package io.dtac.broker.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HandshakeParserTest {

  @Test
  void parsesTheProtocolsExampleLine() {
    HandshakeParser.ConnectInfo info =
        HandshakeParser.parse(
            "CONNECT{{HelloPlugin:hello:grpc:tcp:127.0.0.1:40123:plug_api_1.0:[tls=false]}}", "x");
    assertEquals("HelloPlugin", info.name());
    assertEquals("hello", info.rootPath());
    assertEquals("tcp", info.transport());
    assertEquals("127.0.0.1", info.host());
    assertEquals(40123, info.port());
    assertEquals("plug_api_1.0", info.apiVersion());
    assertEquals(Map.of("tls", "false"), info.options());
    assertFalse(info.tls());
  }

  @Test
  void emptyRootPathIsTheFileStem() {
    assertEquals(
        "hello",
        HandshakeParser.parse("CONNECT{{HelloPlugin::grpc:tcp:127.0.0.1:1:plug_api_1.0:[]}}", "hello")
            .rootPath());
  }

  @Test
  void optionsAreUrlDecodedAndTlsIsRecognised() {
    HandshakeParser.ConnectInfo info =
        HandshakeParser.parse(
            "CONNECT{{P:p:grpc:tcp:127.0.0.1:9:plug_api_1.0:[tls=true,note=a%2Cb%3Ac]}}\r\n", "p");
    assertTrue(info.tls());
    assertEquals("a,b:c", info.options().get("note"));
  }

  @Test
  void unixTransportCarriesTheSocketPathInTheIpField() {
    HandshakeParser.ConnectInfo info =
        HandshakeParser.parse(
            "CONNECT{{HelloPlugin:hello:grpc:unix:/tmp/dtac-1/p42.sock:0:plug_api_1.0:[tls=false]}}", "x");
    assertTrue(info.unix());
    assertEquals("/tmp/dtac-1/p42.sock", info.host());
    assertEquals(0, info.port());
  }

  @Test
  void tcpIsNotUnix() {
    assertFalse(
        HandshakeParser.parse("CONNECT{{P:p:grpc:tcp:127.0.0.1:9:plug_api_1.0:[]}}", "p").unix());
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "garbage                                      | expected a line starting with CONNECT{{",
        "''                                           | expected a line starting with CONNECT{{",
        "CONNECT{{P:p:grpc:tcp:127.0.0.1:9:plug_api_1.0:[] | not terminated by }}",
        "CONNECT{{P:p:grpc:tcp:127.0.0.1:9}}          | has 6 fields, expected 8",
        "CONNECT{{P:p:grpc:tcp:127.0.0.1:9:plug_api_1.0:[]:extra}} | has 9 fields, expected 8",
        "CONNECT{{:p:grpc:tcp:127.0.0.1:9:plug_api_1.0:[]}} | plugin name '' is not allowed: it is empty",
        "CONNECT{{P:p:http:tcp:127.0.0.1:9:plug_api_1.0:[]}} | unsupported RPC protocol 'http'",
        "CONNECT{{P:p:grpc:udp:127.0.0.1:9:plug_api_1.0:[]}} | unsupported transport 'udp'; expected tcp or unix",
        "CONNECT{{P:p:grpc:unix:p.sock:0:plug_api_1.0:[]}} | transport unix needs the socket's absolute path",
        "CONNECT{{P:p:grpc:unix::0:plug_api_1.0:[]}}  | transport unix needs the socket's absolute path",
        "CONNECT{{P:p:grpc:unix:/tmp/p.sock:9:plug_api_1.0:[]}} | transport unix takes port 0, got '9'",
        "CONNECT{{P:p:grpc:tcp:127.0.0.1:70000:plug_api_1.0:[]}} | invalid port '70000'",
        "CONNECT{{P:p:grpc:tcp:127.0.0.1:abc:plug_api_1.0:[]}} | invalid port 'abc'",
        "CONNECT{{P:p:grpc:tcp:127.0.0.1:9:plug_api_2.0:[]}} | unsupported plugin API version",
        "CONNECT{{P:p:grpc:tcp:127.0.0.1:9:plug_api_1.0:tls=true}} | options must be enclosed in [ ]",
        "CONNECT{{P:p:grpc:tcp:127.0.0.1:9:plug_api_1.0:[tls]}} | option 'tls' is not key=value",
        "CONNECT{{P:p:grpc:tcp:127.0.0.1:9:plug_api_1.0:[a=%zz]}} | is not URL-escaped",
      })
  void refusesMalformedLinesWithAClearMessage(String line, String expected) {
    HandshakeException e =
        assertThrows(HandshakeException.class, () -> HandshakeParser.parse(line, "p"));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "agent",
        "Agent",
        "AGENT",
        "unauthenticated",
        "Unauthenticated",
      })
  void refusesTheNamesTheBrokerUsesForItself(String name) {
    HandshakeException e =
        assertThrows(HandshakeException.class,
            () -> HandshakeParser.parse("CONNECT{{" + name + ":p:grpc:tcp:127.0.0.1:9:plug_api_1.0:[]}}", "p"));
    assertEquals(
        "plugin name '" + name + "' is reserved: the broker uses 'agent' and 'unauthenticated' (in any"
            + " case) for callers that are not plugins; choose another name",
        e.getMessage());
  }

  @Test
  void refusesNamesWithCharactersTheBrokerGivesAMeaning() {
    String[][] cases = {
      {"Hello Plugin", "it holds a space"},
      {"Hello\tPlugin", "it holds the character U+0009"},
      {"A>B", "it holds '>'"},
      {"agent>Victim", "it holds '>'"},
      {"Calc*", "it holds '*'"},
      {"a/b", "it holds '/'"},
      {"a,b", "it holds ','"},
      {"O'Brien", "it holds '''"},
      {"Caf\u00e9", "it holds the character U+00E9"},
      {"-dash", "it starts with '-'"},
      {".hidden", "it starts with '.'"},
    };
    for (String[] c : cases) {
      HandshakeException e =
          assertThrows(HandshakeException.class,
              () -> HandshakeParser.parse("CONNECT{{" + c[0] + ":p:grpc:tcp:127.0.0.1:9:plug_api_1.0:[]}}", "p"));
      assertTrue(
          e.getMessage().startsWith("plugin name " + io.dtac.core.internal.Messages.quote(c[0]) + " is not allowed: " + c[1]
              + "; plugin names are letters, digits, '.', '_' and '-'"),
          e.getMessage());
    }
  }

  @Test
  void refusesANameLongerThanTheLimit() {
    String name = "P".repeat(PluginNames.MAX_LENGTH + 1);
    HandshakeException e =
        assertThrows(HandshakeException.class,
            () -> HandshakeParser.parse("CONNECT{{" + name + ":p:grpc:tcp:127.0.0.1:9:plug_api_1.0:[]}}", "p"));
    assertTrue(e.getMessage().contains("is not allowed: it is 129 characters long"), e.getMessage());
  }

  @Test
  void acceptsNamesOfLettersDigitsDotsUnderscoresAndDashes() {
    for (String name : new String[] {"HelloPlugin", "P1", "my-plugin_2.0", "agents", "AgentSmith", "9lives"}) {
      assertEquals(name,
          HandshakeParser.parse("CONNECT{{" + name + ":p:grpc:tcp:127.0.0.1:9:plug_api_1.0:[]}}", "p").name());
    }
  }

  @Test
  void refusesARootPathWithCharactersTheBrokerGivesAMeaning() {
    for (String root : new String[] {"a b", "a>b", "a/b", "..", "a*"}) {
      HandshakeException e =
          assertThrows(HandshakeException.class,
              () -> HandshakeParser.parse("CONNECT{{P:" + root + ":grpc:tcp:127.0.0.1:9:plug_api_1.0:[]}}", "p"));
      assertTrue(e.getMessage().startsWith("root path '" + root + "' is not allowed: it "), e.getMessage());
    }
  }

  @Test
  void refusesAHugeLine() {
    String line = "CONNECT{{" + "x".repeat(HandshakeParser.MAX_LINE_LENGTH) + "}}";
    HandshakeException e = assertThrows(HandshakeException.class, () -> HandshakeParser.parse(line, "p"));
    assertTrue(e.getMessage().contains("more than 4096"), e.getMessage());
  }

  @Test
  void quotesControlCharactersInErrors() {
    HandshakeException e =
        assertThrows(HandshakeException.class, () -> HandshakeParser.parse("\u0001bad", "p"));
    assertTrue(e.getMessage().contains("\\x01bad"), e.getMessage());
  }
}
