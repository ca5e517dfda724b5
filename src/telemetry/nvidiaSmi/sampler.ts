/**
 * One long-lived `nvidia-smi --query-gpu=… -lms <ms>` child; rows are stamped on receipt (epoch ms with
 * sub-ms precision, comparable across processes); windows are read back by time. If nvidia-smi dies it is
 * restarted and the gap recorded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { parseQueryCsv, type Cell } from "./parseCsv.js";
import type { PowerSample } from "../energy.js";

import { epochNow } from "../../util/time.js";

export { epochNow };

export interface SampleRow {
  t: number;
  gpu: number;
  v: Record<string, Cell>;
}

export class NvidiaSmiSampler {
  readonly rows: SampleRow[] = [];
  readonly gaps: [number, number][] = [];
  restarts = 0;
  private child?: ChildProcess;
  private stopped = false;
  private lastT = 0;
  private pendingGap: number | null = null;

  constructor(
    readonly bin: string,
    readonly fields: string[],
    readonly intervalMs = 50,
    private readonly maxRestarts = 5,
  ) {}

  start(): this {
    const child = spawn(
      this.bin,
      [`--query-gpu=${this.fields.join(",")}`, "--format=csv,noheader,nounits", "-lms", String(this.intervalMs)],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    this.child = child;
    const rl = createInterface({ input: child.stdout! });
    rl.on("line", (line) => {
      const t = epochNow();
      const parsed = parseQueryCsv(line, { fields: this.fields });
      const v = parsed.rows[0];
      if (!v) return;
      if (this.pendingGap !== null) {
        this.gaps.push([this.pendingGap, t]);
        this.pendingGap = null;
      }
      this.rows.push({ t, gpu: typeof v.index === "number" ? v.index : 0, v });
      this.lastT = t;
      // bounded memory: keep about an hour at 50 ms per GPU
      if (this.rows.length > 400_000) this.rows.splice(0, 100_000);
    });
    child.on("error", () => undefined);
    child.on("exit", () => {
      if (this.stopped) return;
      this.pendingGap = this.lastT || epochNow();
      if (this.restarts++ < this.maxRestarts)
        setTimeout(() => {
          if (!this.stopped) this.start();
        }, 200);
    });
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.child?.kill();
  }

  /**
   * Power samples of one GPU: power.draw.instant where present, else power.draw (a ~1 s average on Ampere+;
   * flagged by the caller).
   */
  power(gpu = 0): { samples: PowerSample[]; field: "power.draw.instant" | "power.draw" | null } {
    const mine = this.rows.filter((r) => r.gpu === gpu);
    for (const field of ["power.draw.instant", "power.draw"] as const) {
      const s = mine.filter((r) => typeof r.v[field] === "number").map((r) => ({ t: r.t, w: r.v[field] as number }));
      if (s.length >= 2) return { samples: s, field };
    }
    return { samples: [], field: null };
  }

  /** Resolve once a row stamped after t has arrived (so a window ending at t is covered), or after timeoutMs. */
  async waitPast(t: number, timeoutMs = 3 * this.intervalMs + 500): Promise<void> {
    const until = epochNow() + timeoutMs;
    while (this.lastT <= t && epochNow() < until && !this.stopped)
      await new Promise((r) => setTimeout(r, Math.min(20, this.intervalMs)));
  }

  /** Rows of one GPU inside [from, to]. */
  between(from: number, to: number, gpu = 0): SampleRow[] {
    return this.rows.filter((r) => r.gpu === gpu && r.t >= from && r.t <= to);
  }

  /** The row closest in time to t. */
  nearest(t: number, gpu = 0): SampleRow | undefined {
    let best: SampleRow | undefined;
    for (const r of this.rows) if (r.gpu === gpu && (!best || Math.abs(r.t - t) < Math.abs(best.t - t))) best = r;
    return best;
  }
}
