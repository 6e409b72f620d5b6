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
        "CONNECT{{:p:grpc:tcp:127.0.0.1:9:plug_api_1.0:[]}} | empty or non-printable plugin name",
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
