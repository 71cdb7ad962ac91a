#!/usr/bin/env bash
# Regenerate tests/oracles/arx_reference.json from ARX itself.
#
# Needs: a JDK (17 works), ARX's source tree (github arx-deidentifier/arx, master; its
# lib/ant jars) and the SUDA2 library ARX used for sample uniques (lib/ant/suda2/
# suda2-0.0.1.jar on ARX's `msu` branch), and the shared Adult extract.
# Usage: benchmarks/arx_oracle/run.sh ARX_SRC SUDA2_JAR ADULT_DIR > tests/oracles/arx_reference.json
#
# ARX's src/main compiles with javac once three optional dependencies are stubbed
# (pdfbox, used only for PDF certificates, and hadoop's Writable, used by mahout's
# classifiers): the stubs are written to a temporary folder here, never used at run time.
set -euo pipefail
ARX_SRC=$1 SUDA2=$2 ADULT=$3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/stubs/org/apache/pdfbox/pdmodel/font" "$WORK/stubs/org/apache/pdfbox/multipdf" \
  "$WORK/stubs/org/apache/hadoop/io" "$WORK/classes"
cat > "$WORK/stubs/org/apache/pdfbox/pdmodel/font/PDFont.java" <<'J'
package org.apache.pdfbox.pdmodel.font; public class PDFont {}
J
cat > "$WORK/stubs/org/apache/pdfbox/pdmodel/PDDocument.java" <<'J'
package org.apache.pdfbox.pdmodel;
public class PDDocument {
  public static PDDocument load(java.io.File f) throws java.io.IOException { throw new java.io.IOException("stub"); }
  public static PDDocument load(java.io.InputStream f) throws java.io.IOException { throw new java.io.IOException("stub"); }
  public void save(java.io.OutputStream s) throws java.io.IOException {}
  public void close() throws java.io.IOException {}
}
J
cat > "$WORK/stubs/org/apache/pdfbox/multipdf/Overlay.java" <<'J'
package org.apache.pdfbox.multipdf;
import org.apache.pdfbox.pdmodel.PDDocument;
public class Overlay {
  public enum Position { FOREGROUND, BACKGROUND }
  public void setInputPDF(PDDocument d) {}
  public void setAllPagesOverlayPDF(PDDocument d) {}
  public void setOverlayPosition(Position p) {}
  public PDDocument overlay(java.util.Map<Integer, String> m) throws java.io.IOException { return null; }
}
J
cat > "$WORK/stubs/org/apache/hadoop/io/Writable.java" <<'J'
package org.apache.hadoop.io;
public interface Writable { void write(java.io.DataOutput out) throws java.io.IOException; void readFields(java.io.DataInput in) throws java.io.IOException; }
J
CP="$SUDA2:$(find "$ARX_SRC/lib/ant" -name '*.jar' -size +0 | grep -v swt | tr '\n' ':')"
javac -nowarn -encoding UTF-8 -d "$WORK/classes" -cp "$CP" \
  $(find "$ARX_SRC/src/main" "$WORK/stubs" -name '*.java') >/dev/null
HERE=$(cd "$(dirname "$0")" && pwd)
javac -nowarn -d "$WORK/classes" -cp "$WORK/classes:$CP" "$HERE/ArxReference.java"
# recursive (c, 2): privlab's recursive_c at that node (the next double above 20.75) and 20.75
java -cp "$WORK/classes:$CP" ArxReference "$ADULT" 3 20.75 20.750000000000004 2>/dev/null
