/** Render vega-lite specs: SVG through vega's headless view, PNG through resvg (pure: spec in, bytes out). */
import { compile, type TopLevelSpec } from "vega-lite";
import { Error as LOG_ERRORS_ONLY, View, logger, parse } from "vega";
import { Resvg } from "@resvg/resvg-js";

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // vega-lite's warnings (e.g. about faceted scales) are for chart authors, not for the user's terminal
  const vg = compile(spec, { logger: logger(LOG_ERRORS_ONLY) }).spec;
  const view = new View(parse(vg), { renderer: "none", logLevel: LOG_ERRORS_ONLY });
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
