/**
 * Fault injection on the real CLI (mock executor, tiny synthetic models, bounded in time): workers killed
 * by SIGKILL, Ctrl-C to the whole process group mid-load and mid-measure, kill -9 of the runner, a full
 * disk, two writers on one run folder. After each: the exit code, and every planned instance recorded
 * exactly once (after --resume where the fault stopped the run), nothing faked for what was in flight.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { alive, checkResults, nextWorker, sleep, startCli, workersOf, writeSuite } from "../../scripts/lib/faultKit.js";
import { cli, tmp } from "../helpers.js";

const MODELS = 3;
const PLANNED = 2 * MODELS; // 3 models × (pp64, tg16)

function setup() {
  const d = tmp("moebench-faults-");
  const suite = writeSuite(d);
  const out = join(d, "run");
  const env = { MOEBENCH_CACHE: join(d, "cache") };
  const args = ["run", suite, "--executor", "mock", "--out", out];
  return { d, suite, out, env, args, results: join(out, "results.jsonl") };
}

/** --resume until done; the file must then hold each planned instance exactly once. */
function resumeToEnd(s: ReturnType<typeof setup>): ReturnType<typeof checkResults> {
  const r = cli([...s.args, "--resume"], { env: s.env });
  expect(r.status, r.stderr).toBe(0);
  const after = checkResults(s.results);
  expect(after.keys).toHaveLength(PLANNED);
  expect(after.duplicates).toEqual([]);
  expect(after.torn).toBe(0);
  return after;
}

describe("fault injection (mock executor)", () => {
  it("SIGKILL of every worker: one crash record per instance, bounded respawns, the run ends", async () => {
    const s = setup();
    const run = startCli(s.args, { ...s.env, MOEBENCH_MOCK_OP_MS: "100" });
    const killed = new Set<number>();
    const t0 = Date.now();
    const killer = (async () => {
      while (alive(run.child.pid!)) {
        const w = await nextWorker(run.child.pid!, 30_000, killed).catch(() => undefined);
        if (!w) return;
        killed.add(w);
        await sleep(150); // mid-load or mid-measure
        process.kill(w, "SIGKILL");
      }
    })();
    const end = await run.exited;
    await killer;
    expect(Date.now() - t0).toBeLessThan(90_000);
    expect(end.code, run.stderr()).toBe(1);
    const f = checkResults(s.results);
    expect(f.keys).toHaveLength(PLANNED);
    expect(f.duplicates).toEqual([]);
    expect(new Set(f.statuses)).toEqual(new Set(["crash"]));
    // each instance is tried twice at most, and each model's load: a model's second load death fails its
    // group, so a group of 2 instances ends after 2 × 2 instance deaths + 1 load death at most: 3 × 5 = 15
    // workers (seen: 13 when a kill landed mid-load on a busy machine)
    expect(killed.size).toBeLessThanOrEqual(2 * PLANNED + MODELS);
    expect(run.stdout().trim().split("\n").pop()).toBe(`0 ok, ${PLANNED} failed (crash ${PLANNED})`);
  });

  it("Ctrl-C to the process group mid-load: exit 130, nothing recorded, --resume completes", async () => {
    const s = setup();
    const run = startCli(s.args, { ...s.env, MOEBENCH_MOCK_LOAD_MS: "5000" });
    await nextWorker(run.child.pid!);
    await sleep(300);
    process.kill(-run.child.pid!, "SIGINT");
    const end = await run.exited;
    expect(end.code, run.stderr()).toBe(130);
    expect(run.stderr()).toMatch(/interrupted: nothing recorded for the instances in flight/);
    expect(checkResults(s.results).keys).toEqual([]);
    expect(resumeToEnd(s).statuses).toEqual(Array(PLANNED).fill("ok"));
  });

  it("Ctrl-C to the process group mid-measure: exit 130, no fake crash, --resume completes", async () => {
    const s = setup();
    const run = startCli(s.args, { ...s.env, MOEBENCH_MOCK_OP_MS: "150" });
    await run.waitFor(/\[2\/6\]/);
    process.kill(-run.child.pid!, "SIGINT");
    const end = await run.exited;
    expect(end.code, run.stderr()).toBe(130);
    const before = checkResults(s.results);
    expect(before.keys.length).toBeGreaterThanOrEqual(2);
    expect(before.keys.length).toBeLessThan(PLANNED);
    expect(new Set(before.statuses)).toEqual(new Set(["ok"]));
    const after = resumeToEnd(s);
    expect(after.keys.slice(0, before.keys.length)).toEqual(before.keys);
    expect(new Set(after.statuses)).toEqual(new Set(["ok"]));
  });

  it("kill -9 of the runner: its worker goes too; --resume takes over the lock, no loss, no duplicate", async () => {
    const s = setup();
    const run = startCli(s.args, { ...s.env, MOEBENCH_MOCK_OP_MS: "150" });
    await run.waitFor(/\[2\/6\]/);
    const worker = workersOf(run.child.pid!)[0];
    process.kill(run.child.pid!, "SIGKILL");
    await run.exited;
    for (let i = 0; worker && alive(worker) && i < 100; i++) await sleep(50);
    expect(worker === undefined || !alive(worker)).toBe(true);
    const before = checkResults(s.results);
    expect(before.keys.length).toBeGreaterThanOrEqual(2);
    const r = cli([...s.args, "--resume"], { env: s.env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`took over the lock of PID ${run.child.pid}`));
    const after = checkResults(s.results);
    expect(after.keys).toHaveLength(PLANNED);
    expect(after.duplicates).toEqual([]);
    expect(after.keys.slice(0, before.keys.length)).toEqual(before.keys);
  });

  // a 12 KiB tmpfs (lock, env.json, then ~3 records) where the test may mount one (root, not a locked-down
  // container), else the writer's test hook; the hook is also tested on its own
  it.each(["tmpfs", "injected"])(
    "a full disk (%s): one line, exit 4, the file stays whole; --resume after freeing space sets a torn line aside",
    (how) => {
      const s = setup();
      mkdirSync(s.out);
      const mounted =
        how === "tmpfs" && spawnSync("mount", ["-t", "tmpfs", "-o", "size=12k", "tmpfs", s.out]).status === 0;
      const full: Record<string, string> = mounted ? {} : { MOEBENCH_FAULT_DISK_BYTES: "4000" };
      try {
        const r = cli(s.args, { env: { ...s.env, ...full } });
        expect(r.status, r.stderr).toBe(4);
        const lines = r.stderr.trim().split("\n");
        expect(lines.pop()).toMatch(
          /^moebench: cannot append a record to .*results\.jsonl: no space left on device \(ENOSPC\) .*--resume\)$/,
        );
        const before = checkResults(s.results);
        expect(before.torn).toBe(0);
        expect(before.keys.length).toBeGreaterThanOrEqual(1);
        expect(before.keys.length).toBeLessThan(PLANNED);
        // free space; and leave the torn tail a kill during a write would leave
        if (mounted) spawnSync("mount", ["-o", "remount,size=4m", s.out]);
        appendFileSync(s.results, '{"schemaVersion":2,"runId":"run","suite":"fau');
        const resumed = cli([...s.args, "--resume"], { env: s.env });
        expect(resumed.status, resumed.stderr).toBe(0);
        expect(resumed.stderr).toMatch(/incomplete record on line \d+ .*set aside in .*results\.jsonl\.torn-1/);
        expect(readFileSync(`${s.results}.torn-1`, "utf8")).toBe('{"schemaVersion":2,"runId":"run","suite":"fau\n');
        const after = checkResults(s.results);
        expect(after.keys).toHaveLength(PLANNED);
        expect(after.duplicates).toEqual([]);
        expect(after.torn).toBe(0);
      } finally {
        if (mounted) spawnSync("umount", [s.out]);
      }
    },
  );

  it("two writers on one run folder: the second is refused naming the first's PID", async () => {
    const s = setup();
    const first = startCli(s.args, { ...s.env, MOEBENCH_MOCK_OP_MS: "200" });
    await nextWorker(first.child.pid!);
    const second = cli([...s.args, "--resume"], { env: s.env });
    expect(second.status).toBe(2);
    expect(second.stderr.trim()).toMatch(
      new RegExp(
        `^moebench: .*run is being written by moebench PID ${first.child.pid} on .*one run writes a run folder`,
      ),
    );
    process.kill(-first.child.pid!, "SIGINT");
    expect((await first.exited).code).toBe(130);
    expect(existsSync(join(s.out, ".moebench.lock"))).toBe(false);
  });

  it("an allocation failure on stderr is oom; --allow-failures oom makes it exit 0", () => {
    const s = setup();
    const r = cli([...s.args, "--allow-failures", "oom"], { env: { ...s.env, MOEBENCH_MOCK_OOM: "qwen3" } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n").pop()).toBe("4 ok, 2 failed (oom 2)");
    const f = checkResults(s.results);
    expect(f.statuses).toEqual(["ok", "ok", "ok", "ok", "oom", "oom"]);
  });

  it("--out onto an existing run without --resume is refused", () => {
    const s = setup();
    expect(cli(s.args, { env: s.env }).status).toBe(0);
    const again = cli(s.args, { env: s.env });
    expect(again.status).toBe(2);
    expect(again.stderr.trim()).toMatch(/^moebench: .*run already holds a run \(add --resume to continue it/);
    expect(checkResults(s.results).keys).toHaveLength(PLANNED);
  });
});
