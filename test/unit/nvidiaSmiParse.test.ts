/** The nvidia-smi parser over every real capture in test/fixtures/nvidia-smi (see SOURCES.md), each field checked against the capture's own text. */
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseQueryCsv, parseHelpQuery, parseNvTimestamp, splitLine } from "../../src/telemetry/nvidiaSmi/parseCsv.js";
import { ROOT } from "../helpers.js";

const DIR = join(ROOT, "test/fixtures/nvidia-smi");
const read = (f: string): string => readFileSync(join(DIR, f), "utf8");

/** What a raw cell must parse to, computed independently of the parser: null for bracketed / N/A text, else the leading number. */
function expectCell(raw: string, got: unknown): void {
  const s = raw.trim();
  if (/^\[.*\]$/.test(s) || s === "N/A" || s === "") {
    expect(got).toBeNull();
    return;
  }
  if (/^0x[0-9a-fA-F]+$/.test(s)) {
    expect(got).toBe(parseInt(s, 16));
    return;
  }
  const m = /^(-?\d+(?:\.\d+)?)(?:\s*(MiB|W|MHz|%|us|C))?$/.exec(s);
  if (m) {
    expect(got).toBe(Number(m[1]));
    return;
  }
  expect(got).toBe(s);
}

/** The sections of a capture .txt: the command after "# $ " and the text up to the next banner. */
function sections(txt: string): { cmd: string; title: string; body: string }[] {
  const out: { cmd: string; title: string; body: string }[] = [];
  const parts = txt.split(/^#{80}\n/m);
  for (let i = 0; i < parts.length - 1; i++) {
    const head = parts[i]!;
    const cmd = /^# \$ (.*)$/m.exec(head)?.[1];
    const title = /^# (.*::.*)$/m.exec(head)?.[1] ?? "";
    if (cmd) out.push({ cmd, title, body: parts[i + 1]! });
  }
  return out;
}

describe("nvidia-smi CSV parser on real captures", () => {
  for (const f of readdirSync(DIR).filter((x) => x.endsWith(".csv"))) {
    it(`${f}: every row, every field`, () => {
      const lines = read(f)
        .split("\n")
        .filter((l) => l.trim());
      const t = parseQueryCsv(read(f));
      expect(t.fields[0]).toBe("timestamp");
      expect(t.fields).toContain("power.draw");
      expect(t.units[t.fields.indexOf("power.draw")]).toBe("W");
      expect(t.rows).toHaveLength(lines.length - 1);
      lines.slice(1).forEach((l, i) => {
        const cells = splitLine(l);
        t.fields.forEach((fld, k) => {
          expectCell(cells[k]!, t.rows[i]![fld]);
        });
      });
      expect(parseNvTimestamp(String(t.rows[0]!.timestamp))).toBeGreaterThan(Date.UTC(2023, 0, 1) - 86400_000);
    });
  }

  for (const f of readdirSync(DIR).filter((x) => x.startsWith("linux-"))) {
    const txt = read(f);
    it(`${f}: --query-gpu (idle and load), units in values, deprecated/N/A fields`, () => {
      const qs = sections(txt).filter((s) => s.cmd.includes("--query-gpu="));
      expect(qs.length).toBeGreaterThanOrEqual(2);
      for (const s of qs) {
        const lines = s.body.split("\n").filter((l) => l.trim());
        const t = parseQueryCsv(s.body);
        const asked = s.cmd.split("--query-gpu=")[1]!.split(" ")[0]!.split(",");
        expect(t.fields).toEqual(asked);
        expect(t.rows.length).toBe(lines.length - 1);
        const cells = splitLine(lines[1]!);
        t.fields.forEach((fld, k) => {
          expectCell(cells[k]!, t.rows[0]![fld]);
        });
        const r = t.rows[0]!;
        expect(typeof r["memory.total"]).toBe("number");
        expect(typeof r["power.draw"]).toBe("number");
        expect(String(r.name)).toMatch(/NVIDIA/);
        expect(t.units[t.fields.indexOf("memory.total")]).toBe("MiB");
        expect(
          t.nulls.some((n) => n.reason === "Requested functionality has been deprecated" || n.reason === "N/A"),
        ).toBe(true);
      }
    });
    it(`${f}: --query-compute-apps and --help-query-gpu`, () => {
      const apps = sections(txt).filter((s) => s.cmd.includes("--query-compute-apps="));
      const withRows = apps.map((s) => parseQueryCsv(s.body)).filter((t) => t.rows.length > 0);
      for (const t of withRows) {
        expect(t.fields).toContain("used_gpu_memory");
        for (const r of t.rows) {
          expect(typeof r.used_gpu_memory).toBe("number");
          expect(typeof r.pid).toBe("number");
        }
      }
      const help = sections(txt).find((s) => s.cmd.trim() === "nvidia-smi --help-query-gpu")!;
      const fields = parseHelpQuery(help.body);
      for (const x of ["timestamp", "power.draw", "memory.used", "clocks_event_reasons.active", "gpu_name"])
        expect(fields).toContain(x);
    });
  }

  it("H100 load capture: exact values", () => {
    const txt = read("linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt");
    const apps = sections(txt)
      .filter((s) => s.cmd.includes("--query-compute-apps="))
      .map((s) => parseQueryCsv(s.body))
      .find((t) => t.rows.length === 3)!;
    expect(apps.rows.map((r) => r.used_gpu_memory)).toEqual([2566, 1542, 15690]);
    expect(apps.rows[2]!.process_name).toBe("./gpu_burn");
    const idle = parseQueryCsv(sections(txt).find((s) => s.cmd.includes("--query-gpu="))!.body).rows[0]!;
    expect(idle["power.draw"]).toBe(69.85);
    expect(idle["power.draw.instant"]).toBe(69.62);
    expect(idle["memory.total"]).toBe(81559);
    expect(idle["clocks_event_reasons.active"]).toBe(1);
    expect(idle.display_mode).toBeNull();
  });

  it("Windows driver, nounits with units still in the header, [Unknown Error] (MindMiner#627)", () => {
    const t = parseQueryCsv(
      "name, utilization.gpu [%], utilization.memory [%], temperature.gpu, power.draw [W], power.limit [W], fan.speed [%], clocks.current.graphics [MHz], clocks.current.memory [MHz], power.default_limit [W]\r\n\r\nGeForce RTX 2080 Ti, 100, 37, 56, 228.82, 210.00, 56, 1560, 6800, [Unknown Error]\r\n",
    );
    expect(t.rows[0]).toMatchObject({
      name: "GeForce RTX 2080 Ti",
      "utilization.gpu": 100,
      "power.draw": 228.82,
      "power.default_limit": null,
    });
    expect(t.nulls).toEqual([{ row: 0, field: "power.default_limit", reason: "Unknown Error" }]);
    expect(t.units[4]).toBe("W");
  });

  it("8 GPUs, noheader with units in the values (Megaminer#376)", () => {
    const block = read("issues_verbatim.txt")
      .split("## ")[2]!
      .split("\n")
      .slice(1)
      .filter((l) => l.trim())
      .join("\n");
    const fields = [
      "name",
      "utilization.gpu",
      "utilization.memory",
      "temperature.gpu",
      "power.draw",
      "power.limit",
      "fan.speed",
      "pstate",
      "clocks.sm",
      "clocks.mem",
      "power.max_limit",
      "power.default_limit",
    ];
    const t = parseQueryCsv(block, { fields });
    expect(t.rows).toHaveLength(8);
    expect(t.rows[0]).toMatchObject({
      name: "GeForce GTX 1080 Ti",
      "utilization.gpu": 53,
      "power.draw": 123,
      "fan.speed": null,
      pstate: "P2",
      "clocks.sm": 1746,
    });
    expect(t.rows[7]!.name).toBe("GeForce GTX 1080");
    expect(t.units[t.fields.indexOf("power.draw")]).toBe("W");
  });

  it("bare N/A and a name with spaces, noheader,nounits (gpu-utils#83); a one-column multi-GPU log", () => {
    const txt = read("issues_verbatim.txt");
    const q = /# query: (.*)/.exec(txt)![1]!.split(",");
    const line = txt.split("\n").find((l) => l.startsWith("200.00, 105.00"))!;
    const r = parseQueryCsv(line, { fields: q }).rows[0]!;
    expect(r).toMatchObject({
      "power.limit": 200,
      "memory.total": 7979,
      name: "GeForce RTX 2080",
      "temperature.memory": null,
      pstate: "P2",
      "pcie.link.width.current": 8,
    });
    const three = parseQueryCsv("133.91\n189.84\n104.34\n", { fields: ["power.draw"] });
    expect(three.rows.map((x) => x["power.draw"])).toEqual([133.91, 189.84, 104.34]);
  });

  it("other no-value forms and unit conversions", () => {
    const t = parseQueryCsv("a, b, c, d, e, f\n[Not Supported], [Function Not Found], N/A, 1.5 GiB, 500 mW, 0x1F\n");
    expect(t.rows[0]).toEqual({ a: null, b: null, c: null, d: 1536, e: 0.5, f: 31 });
    expect(t.nulls.map((n) => n.reason)).toEqual(["Not Supported", "Function Not Found", "N/A"]);
  });
});
