/**
 * `moebench merge <run folders…> [--out dir]`: the shards of a sharded run → one run folder (results.jsonl,
 * env.json listing every shard's host, plan.json). Refuses shards of different plans (exit 2); names the
 * missing and the duplicated instances (exit 4: incomplete, unless --allow-partial; duplicates write nothing).
 */
import { Command } from "commander";
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { ENV_FILE, readEnvFile, writeEnvFile } from "../results/envFile.js";
import { readJsonl, ResultsWriter } from "../results/jsonl.js";
import { type MergeResult, mergeShards, type ShardInput } from "../results/mergeRuns.js";
import { readPlanFile, writePlanFile } from "../results/planFile.js";
import { RESULTS_FILE, runPaths } from "../results/runDir.js";
import { lockRunDir } from "../results/runLock.js";
import { MoebenchError } from "../util/errors.js";
import { EXIT } from "../util/exitCodes.js";
import { withFs } from "../util/fsErrors.js";

interface MergeCliOptions {
  out?: string;
  allowPartial?: boolean;
}

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const LIST_MAX = 20;

function readShard(arg: string): ShardInput {
  const { dir, results } = runPaths(arg);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new MoebenchError(`${arg}: no such run folder`, "pass the folders the shards wrote (…/shard-K-of-N)");
  return {
    dir,
    env: readEnvFile(dir),
    plan: readPlanFile(dir),
    records: existsSync(results) ? readJsonl(results) : null,
  };
}

const SHARD_DIR = /^shard-\d+-of-\d+$/;

/** A run id's folder (results/<suite>/<runId>, where the shards write) stands for the shard folders in it. */
function expandRunFolder(arg: string): string[] {
  const dir = resolve(arg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [arg];
  const shards = readdirSync(dir).filter((n) => SHARD_DIR.test(n) && statSync(join(dir, n)).isDirectory());
  return shards.length ? shards.sort().map((n) => join(dir, n)) : [arg];
}

/** --out, else the folder all the shards sit in (results/<suite>/<runId>). */
function outDir(o: MergeCliOptions, inputs: readonly ShardInput[]): string {
  if (o.out) return resolve(o.out);
  const parents = new Set(inputs.map((s) => dirname(s.dir)));
  if (parents.size !== 1)
    throw new MoebenchError("merge: the shards are in different folders", "say where the merged run goes with --out");
  return [...parents][0]!;
}

/** A folder holding a measured run (not an earlier merge) is never overwritten. */
function checkOut(dir: string, inputs: readonly ShardInput[]): void {
  if (inputs.some((s) => s.dir === dir))
    throw new MoebenchError(`--out ${dir} is one of the shards`, "choose another folder for the merged run");
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new MoebenchError(`--out ${dir} is a file`);
  const results = join(dir, RESULTS_FILE);
  const holdsRun = existsSync(results) && statSync(results).size > 0;
  if (holdsRun && !readEnvFile(dir)?.merged)
    throw new MoebenchError(`${dir} already holds a run that is not a merge`, "choose another folder with --out");
}

function writeMerged(dir: string, m: MergeResult, inputs: readonly ShardInput[]): void {
  withFs(dir, "create the merged run folder", () => mkdirSync(dir, { recursive: true }));
  const lock = lockRunDir(dir);
  try {
    const tmp = join(dir, `${RESULTS_FILE}.merge-${process.pid}`);
    const writer = ResultsWriter.open(tmp);
    try {
      for (const r of m.records) writer.append(r);
    } finally {
      writer.close();
    }
    withFs(join(dir, RESULTS_FILE), "replace", () => renameSync(tmp, join(dir, RESULTS_FILE)));
    writeEnvFile(dir, m.env);
    const { planVersion: _version, ...plan } = m.plan;
    writePlanFile(dir, plan);
    const quality = inputs.map((s) => join(s.dir, "quality.json")).find((q) => existsSync(q));
    if (quality) withFs(quality, "copy", () => copyFileSync(quality, join(dir, "quality.json")));
  } finally {
    lock.release();
  }
}

function listed<T>(items: readonly T[], line: (x: T) => string): string[] {
  const shown = items.slice(0, LIST_MAX).map((x) => `  ${line(x)}`);
  return items.length > LIST_MAX ? [...shown, `  … and ${items.length - LIST_MAX} more`] : shown;
}

function describe(m: MergeResult, inputs: readonly ShardInput[], cwd: string): void {
  const hosts = [...new Set(m.env.merged!.shards.map((s) => s.host))];
  const recorded = m.plan.instances.length - m.missing.length;
  say(
    `merge: ${inputs.length} shard folder(s) of run ${m.plan.runId} ` +
      `(suite ${m.plan.suite}, plan ${m.plan.planHash}): ` +
      `${recorded} of ${m.plan.instances.length} planned instances recorded; hosts ${hosts.join(", ")}`,
  );
  if (m.absentShards.length)
    say(`shard(s) with no folder given: ${m.absentShards.map((k) => `${k}/${m.plan.count}`).join(", ")}`);
  if (m.missing.length) {
    say(`missing: ${m.missing.length} planned instance(s) not recorded by any shard:`);
    for (const l of listed(m.missing, (i) => `${i.model} ${i.testId} (shard ${i.shard}/${m.plan.count}): ${i.key}`))
      say(l);
  }
  if (m.duplicates.length) {
    say(`duplicated: ${m.duplicates.length} instance(s) recorded more than once:`);
    for (const l of listed(m.duplicates, (d) => `${d.key} in ${d.dirs.map((x) => relative(cwd, x) || ".").join(", ")}`))
      say(l);
  }
}

export function mergeCli(dirs: string[], o: MergeCliOptions): { exitCode: number; out?: string } {
  const inputs = dirs.flatMap(expandRunFolder).map(readShard);
  const m = mergeShards(inputs, ["merge", ...dirs]);
  describe(m, inputs, process.cwd());
  if (m.duplicates.length) {
    say("nothing written: pass one folder per shard (a re-run shard's old and new folders record the same instances)");
    return { exitCode: EXIT.incomplete };
  }
  const out = outDir(o, inputs);
  checkOut(out, inputs);
  writeMerged(out, m, inputs);
  process.stdout.write(`merged run: ${out} (${m.records.length} records; ${ENV_FILE} lists every shard's host)\n`);
  const partial = m.missing.length > 0;
  if (partial && !o.allowPartial) say("incomplete: exit 4 (--allow-partial accepts a partial merge)");
  return { exitCode: partial && !o.allowPartial ? EXIT.incomplete : EXIT.ok, out };
}

export function mergeCommand(): Command {
  return new Command("merge")
    .description(
      "merge the shards of a sharded run (run --shard, a Slurm array, a Kubernetes Indexed Job) into one run",
    )
    .argument(
      "<runDirs...>",
      "the shards' run folders (results/<suite>/<runId>/shard-K-of-N), or their run id's folder",
    )
    .option("--out <dir>", "the merged run folder (default: the folder the shards are in, results/<suite>/<runId>)")
    .option("--allow-partial", "exit 0 even when planned instances are missing")
    .action((dirs: string[], o: MergeCliOptions) => {
      process.exitCode = mergeCli(dirs, o).exitCode;
    });
}
