/** Render vega-lite specs: SVG through vega's headless view, PNG through resvg (pure: spec in, bytes out). */
import { compile, type TopLevelSpec } from "vega-lite";
import { View, parse } from "vega";
import { Resvg } from "@resvg/resvg-js";

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new View(parse(vg), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
  });
  return Buffer.from(r.render().asPng());
}
