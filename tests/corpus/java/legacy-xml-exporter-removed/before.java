package com.acme.reporting.export;

import java.io.IOException;
import java.io.Writer;
import java.util.List;

/**
 * Writes reports in the XML format consumed by the old finance portal.
 *
 * @deprecated the portal reads CSV since 2023; use {@link CsvReportExporter}.
 */
@Deprecated
public class LegacyXmlExporter implements ReportExporter {

    private static final String ROOT = "report";

    @Override
    public String contentType() {
        return "application/xml";
    }

    @Override
    public void export(Report report, Writer out) throws IOException {
        out.write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.write("<" + ROOT + " id=\"" + escape(report.id()) + "\">\n");
        for (Row row : report.rows()) {
            writeRow(row.cells(), out);
        }
        out.write("</" + ROOT + ">\n");
    }

    private void writeRow(List<String> cells, Writer out) throws IOException {
        out.write("  <row>");
        for (String cell : cells) {
            out.write("<cell>" + escape(cell) + "</cell>");
        }
        out.write("</row>\n");
    }

    static String escape(String value) {
        StringBuilder sb = new StringBuilder(value.length());
        for (char c : value.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
