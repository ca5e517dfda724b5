/**
 * Rendering (export/render.ts): vega-lite's authoring warnings stay off the user's terminal while errors still
 * reach it, every headless view is finalized, and PNG text is drawn in DejaVu Sans, the charts' font, also where an SVG names none.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { View } from "vega";
import type { TopLevelSpec } from "vega-lite";
import { renderSvg, svgToPng } from "../../src/export/render.js";

afterEach(() => {
  vi.restoreAllMocks();
});

// a shape channel on bars: vega-lite drops it with a warning ("shape dropped as it is incompatible with bar")
const spec = {
  data: { values: [{ a: 1, b: "x" }] },
  mark: "bar",
  encoding: { x: { field: "a", type: "quantitative" }, shape: { field: "b", type: "nominal" } },
} as TopLevelSpec;

describe("renderSvg", () => {
  it("prints no vega-lite authoring warning", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const svg = await renderSvg(spec);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(warn).not.toHaveBeenCalled();
  });

  it("still reports errors: a failing expression in the chart's dataflow is logged, the chart still drawn", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const broken = {
      data: { values: [{ a: 1 }] },
      transform: [{ calculate: "datum.q.r.s", as: "x" }],
      mark: "bar",
      encoding: { x: { field: "x", type: "quantitative" } },
    } as TopLevelSpec;
    expect((await renderSvg(broken)).startsWith("<svg")).toBe(true);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]![0]).toBe("ERROR");
    expect(String(error.mock.calls[0]![1])).toContain("Cannot read properties of undefined");
  });

  it("finalizes the view it rendered with", async () => {
    const finalize = vi.spyOn(View.prototype, "finalize");
    await renderSvg(spec);
    expect(finalize).toHaveBeenCalledTimes(1);
  });
});

describe("svgToPng", () => {
  const svg = (text: string, family?: string): string =>
    '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="30">' +
    `<text x="5" y="20" font-size="16"${family ? ` font-family="${family}"` : ""}>${text}</text></svg>`;

  it("a PNG: the signature, at twice the SVG's size by default", () => {
    const png = svgToPng(svg("Hello"));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR: width and height, big-endian, at bytes 16 and 20
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([200, 60]);
    const one = svgToPng(svg("Hello"), 1);
    expect([one.readUInt32BE(16), one.readUInt32BE(20)]).toEqual([100, 30]);
  });

  it("draws text (the system's fonts are loaded), in DejaVu Sans where the SVG names no font", () => {
    const plain = svgToPng(svg("Hello"));
    expect(plain.equals(svgToPng(svg("")))).toBe(false);
    expect(plain.equals(svgToPng(svg("Hello", "DejaVu Sans")))).toBe(true);
  });
});
