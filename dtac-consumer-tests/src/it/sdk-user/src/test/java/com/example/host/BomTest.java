package com.example.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** dtac-bom as a user imports it: io.dtac artifacts only, nothing else managed for the user. */
class BomTest {

  private static final String VERSION = System.getProperty("dtac.version");

  @Test
  void bomManagesOnlyIoDtacArtifactsOfItsOwnVersion() throws Exception {
    Path bom = Path.of(System.getProperty("dtac.bom"));
    assertTrue(Files.isRegularFile(bom), "the imported BOM is not at " + bom);
    Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(bom.toFile());
    Element project = pom.getDocumentElement();

    assertTrue(children(project, "parent").isEmpty(),
        "dtac-bom has a parent: importing it would bring the parent's dependencyManagement too");
    assertEquals(VERSION, text(project, "version"),
        "dtac-bom's version is not the reactor's: set it in dtac-bom/pom.xml");

    List<Element> managed = new ArrayList<>();
    for (Element dm : children(project, "dependencyManagement")) {
      for (Element deps : children(dm, "dependencies")) {
        managed.addAll(children(deps, "dependency"));
      }
    }
    assertFalse(managed.isEmpty(), "dtac-bom manages nothing");
    for (Element d : managed) {
      String coordinates = text(d, "groupId") + ":" + text(d, "artifactId") + ":" + text(d, "version");
      assertEquals("io.dtac", text(d, "groupId"), "dtac-bom manages a foreign artifact: " + coordinates);
      assertTrue(List.of("${project.version}", VERSION).contains(text(d, "version")),
          "dtac-bom manages " + coordinates + " at another version than its own");
      assertTrue(children(d, "scope").isEmpty(), "dtac-bom imports or scopes " + coordinates);
    }
  }

  /** The issue this pins: with the old BOM a user's junit-jupiter 5.11 became a 5.11/5.14 mix. */
  @Test
  void importingTheBomLeavesTheUsersJUnitAlone() throws ClassNotFoundException {
    String declared = System.getProperty("junit.version");
    assertEquals(declared, version(org.junit.jupiter.api.Test.class), "junit-jupiter-api");
    assertEquals(declared, version(Class.forName("org.junit.jupiter.engine.JupiterTestEngine")), "junit-jupiter-engine");
    assertEquals(declared.replaceFirst("^5\\.", "1."),
        version(Class.forName("org.junit.platform.engine.TestEngine")), "junit-platform-engine");
  }

  private static String version(Class<?> type) {
    return type.getPackage().getImplementationVersion();
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> found = new ArrayList<>();
    NodeList nodes = parent.getChildNodes();
    for (int i = 0; i < nodes.getLength(); i++) {
      Node n = nodes.item(i);
      if (n instanceof Element && ((Element) n).getTagName().equals(name)) {
        found.add((Element) n);
      }
    }
    return found;
  }

  private static String text(Element parent, String name) {
    List<Element> found = children(parent, name);
    return found.isEmpty() ? null : found.get(0).getTextContent().trim();
  }
}
