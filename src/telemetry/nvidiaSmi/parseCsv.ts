/**
 * Parser for `nvidia-smi --query-gpu=… / --query-compute-apps=…` output in every --format variant
 * (csv, csv,noheader, csv,nounits, csv,noheader,nounits): units in the header (`power.draw [W]`) or in
 * the values (`631.95 W`), names with spaces, CRLF (Windows drivers), trailing commas, and every
 * "no value" form nvidia-smi prints ([N/A], bare N/A, [Not Supported], [Unknown Error],
 * [Requested functionality has been deprecated], [Function Not Found], …) → null plus the reason.
 * Numbers come out in base units: MiB, W, MHz, %, °C, µs (GiB/KiB/GHz/kHz/mW/ms/s are converted).
 */

export type Cell = number | string | null;

export interface ParsedTable {
  /** field names without units, in column order */
  fields: string[];
  /** unit per column, from the header or the values (null when none) */
  units: (string | null)[];
  rows: Record<string, Cell>[];
  /** why a cell is null: [row index, field, nvidia-smi's words] */
  nulls: { row: number; field: string; reason: string }[];
}

const NULL_BRACKET = /^\[(.+)\]$/;
const BARE_NULLS = new Set(["N/A", "Not Supported", "Unknown Error", "Not Available", "Insufficient Permissions"]);
const HEADER_CELL = /^[a-z][A-Za-z0-9_.]*(\s*\[[^\]]+\])?$/;

/** Conversion of a value's unit into the base unit of its kind. */
const UNIT_SCALE: Record<string, [string, number]> = {
  MiB: ["MiB", 1],
  GiB: ["MiB", 1024],
  KiB: ["MiB", 1 / 1024],
  B: ["MiB", 1 / (1024 * 1024)],
  W: ["W", 1],
  mW: ["W", 0.001],
  MHz: ["MHz", 1],
  GHz: ["MHz", 1000],
  kHz: ["MHz", 0.001],
  "%": ["%", 1],
  C: ["°C", 1],
  "°C": ["°C", 1],
  us: ["us", 1],
  ms: ["us", 1000],
  s: ["us", 1e6],
  ns: ["us", 0.001],
  mJ: ["mJ", 1],
  J: ["mJ", 1000],
};

function splitFieldUnit(h: string): [string, string | null] {
  const m = /^(.*?)\s*\[([^\]]+)\]\s*$/.exec(h.trim());
  return m ? [m[1]!.trim(), m[2]!.trim()] : [h.trim(), null];
}

export function splitLine(line: string): string[] {
  const cells = line
    .replace(/\r$/, "")
    .split(",")
    .map((c) => c.trim());
  // `--query-gpu=a,b,` (a trailing comma, which nvidia-smi accepts) leaves an empty last column
  while (cells.length > 1 && cells[cells.length - 1] === "") cells.pop();
  return cells;
}

export function isHeaderLine(line: string): boolean {
  const cells = splitLine(line);
  return cells.length > 0 && cells.every((c) => HEADER_CELL.test(c));
}

/** One cell → value in base units, or null with nvidia-smi's reason. */
export function parseCell(
  raw: string,
  headerUnit: string | null,
): { value: Cell; reason?: string; unit: string | null } {
  const s = raw.trim();
  const br = NULL_BRACKET.exec(s);
  if (br) return { value: null, reason: br[1]!, unit: headerUnit };
  if (BARE_NULLS.has(s) || s === "") return { value: null, reason: s || "empty", unit: headerUnit };
  if (/^0x[0-9a-f]+$/i.test(s)) return { value: Number(BigInt(s)), unit: headerUnit };
  const m = /^(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([a-zA-Z%°]+)?$/.exec(s);
  if (m) {
    const unit = m[2] ?? headerUnit;
    const v = Number(m[1]);
    if (unit && UNIT_SCALE[unit]) {
      const [base, k] = UNIT_SCALE[unit];
      return { value: v * k, unit: base };
    }
    return { value: v, unit: unit ?? null };
  }
  return { value: s, unit: headerUnit };
}

/**
 * Parse a query output. `fields` names the columns of a noheader output (the --query-gpu list); a
 * header line, where present, wins. Blank lines are skipped; a repeated header (several invocations
 * appended to one log) is skipped too.
 */
export function parseQueryCsv(text: string, opts: { fields?: string[] } = {}): ParsedTable {
  const lines = text
    .split(/\n/)
    .map((l) => l.replace(/\r$/, ""))
    .filter((l) => l.trim() !== "");
  let fields: string[] = [];
  let headerUnits: (string | null)[] = [];
  let start = 0;
  if (lines.length && isHeaderLine(lines[0]!)) {
    const parts = splitLine(lines[0]!).map(splitFieldUnit);
    fields = parts.map((p) => p[0]);
    headerUnits = parts.map((p) => p[1]);
    start = 1;
  } else if (opts.fields) {
    fields = opts.fields.map((f) => splitFieldUnit(f)[0]);
    headerUnits = fields.map(() => null);
  }
  const units: (string | null)[] = [...headerUnits];
  const rows: Record<string, Cell>[] = [];
  const nulls: ParsedTable["nulls"] = [];
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    if (
      isHeaderLine(line) &&
      fields.length &&
      splitLine(line)
        .map((c) => splitFieldUnit(c)[0])
        .join() === fields.join()
    )
      continue;
    const cells = splitLine(line);
    if (!fields.length) fields = cells.map((_, k) => `col${k}`);
    // a value containing commas (rare: process names) joins the overflow into the last text column
    const vals =
      cells.length > fields.length
        ? [...cells.slice(0, fields.length - 1), cells.slice(fields.length - 1).join(", ")]
        : cells;
    const row: Record<string, Cell> = {};
    fields.forEach((f, k) => {
      const raw = vals[k];
      if (raw === undefined) {
        row[f] = null;
        nulls.push({ row: rows.length, field: f, reason: "missing column" });
        return;
      }
      const c = parseCell(raw, headerUnits[k] ?? null);
      row[f] = c.value;
      if (c.value === null) nulls.push({ row: rows.length, field: f, reason: c.reason ?? "N/A" });
      if (units[k] == null && c.unit) units[k] = c.unit;
      else if (c.unit && units[k] && UNIT_SCALE[units[k]!]) units[k] = UNIT_SCALE[units[k]!]![0];
    });
    rows.push(row);
  }
  return { fields, units: units.map((u) => (u && UNIT_SCALE[u] ? UNIT_SCALE[u]![0] : u)), rows, nulls };
}

/** nvidia-smi's "YYYY/MM/DD HH:MM:SS.mmm" (local time, no zone) → epoch ms, read as local time of this machine. */
export function parseNvTimestamp(s: string): number | null {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, se, ms] = m;
  return new Date(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(se),
    Number((ms ?? "0").padEnd(3, "0")),
  ).getTime();
}

/** The field list of `nvidia-smi --help-query-gpu` (or --help-query-compute-apps): every quoted property name. */
export function parseHelpQuery(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^"([a-z][\w.]*)"(?:\s+or\s+"([a-z][\w.]*)")*/i.exec(line.trim());
    if (!m) continue;
    for (const q of line.matchAll(/"([a-zA-Z][\w.]*)"/g)) out.push(q[1]!);
  }
  return [...new Set(out)];
}
