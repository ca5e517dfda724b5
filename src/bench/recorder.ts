/**
 * The run's records layer: every record is checked against the schema (an invalid one becomes an `error`
 * record for its instance, never the end of the run), appended and flushed, counted, and shown.
 */
import { ResultsWriter } from "../results/jsonl.js";
import { checkedRecord } from "../results/record.js";
import { phaseRate } from "../results/phaseRate.js";
import type { ResultRecord } from "../results/schema.js";
import type { Progress } from "./progress.js";

/** One progress line: "model test: pp 3268.1 tok/s mean (95% CI 3195.0–3325.2, n=5)". */
export function describeResult(r: ResultRecord): string {
  const name = `${r.model.label} ${r.testId}`;
  if (r.status !== "ok") return `${name}: ${r.status.toUpperCase()} ${r.error?.message.split("\n")[0] ?? ""}`;
  const parts: string[] = [];
  const add = (p: ResultRecord["pp"], label: string): void => {
    const s = phaseRate(p);
    if (!s) return;
    const ci = `95% CI ${Math.max(0, s.ciLow).toFixed(1)}–${s.ciHigh.toFixed(1)}, n=${s.n}`;
    parts.push(`${label} ${s.mean.toFixed(1)} tok/s mean (${ci})${p?.noisy ? " noisy" : ""}`);
  };
  add(r.pp, "pp");
  add(r.tg, "tg");
  add(r.parallelTg, "tg(all seqs)");
  return `${name}: ${parts.join(", ")}`;
}

export class RunRecorder {
  written = 0;
  failed = 0;
  private readonly writer: ResultsWriter;

  constructor(
    readonly resultsPath: string,
    private readonly progress: Progress,
  ) {
    this.writer = ResultsWriter.open(resultsPath);
  }

  /** Validate, append and flush; a failed write throws (exit 4) after the file was left whole. */
  record(candidate: ResultRecord): void {
    const checked = checkedRecord(candidate);
    if ("invalid" in checked) {
      // the instance's own identity is invalid: nothing valid can be written for it; it stays to-do
      this.failed++;
      this.progress.finish(`${candidate.model.label} ${candidate.testId}: NOT RECORDED (${checked.invalid})`);
      return;
    }
    this.writer.append(checked.record);
    this.written++;
    if (checked.record.status !== "ok") this.failed++;
    this.progress.finish(describeResult(checked.record));
  }

  close(): void {
    this.writer.close();
  }
}
