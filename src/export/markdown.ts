import { markdownTable } from "markdown-table";

/** A GitHub-flavoured Markdown table; numeric columns right-aligned. */
export function mdTable(headers: string[], rows: (string | number)[][], align?: ("l" | "r" | "c")[]): string {
  const a =
    align ??
    headers.map((_, i) =>
      // a column is numeric when every non-empty cell is a number (an empty cell is a gap, not text)
      rows.every((r) => typeof r[i] === "number" || /^[\d.,±%\s×-]*$/.test(String(r[i] ?? ""))) ? "r" : "l",
    );
  return markdownTable([headers, ...rows.map((r) => r.map((c) => String(c)))], { align: a });
}
