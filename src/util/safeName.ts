/**
 * Names that become path components (suite names, run ids, model labels, shard ids). A name from a file,
 * a record or the command line must never escape the folder the user chose: no separators, no "." or
 * "..", no control characters, bounded length.
 */
const MAX = 120;

/** A single safe path component derived from `name` (never empty, never "." or ".."). */
export function safePathComponent(name: string, fallback = "unnamed"): string {
  let s = name
    .normalize("NFKC")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .replace(/[/\\:*?"<>|]/g, "_")
    .replace(/\s+/g, "-")
    .replace(/^[.-]+/, "")
    .replace(/[.\s]+$/, "");
  if (s.length > MAX) s = s.slice(0, MAX);
  return s === "" || s === "." || s === ".." ? fallback : s;
}

/** True when `name` can be used as a path component as it is (what safePathComponent leaves unchanged). */
export function isSafePathComponent(name: string): boolean {
  return name.length > 0 && safePathComponent(name, "") === name;
}
