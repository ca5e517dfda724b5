/** Suite files: every bad input is one line naming the file and the field. */
import { describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadSuite, parseSuite } from "../../src/suite/loadSuite.js";
import { MoebenchError } from "../../src/util/errors.js";
import { tmp } from "../helpers.js";

const M = "models: [synth:llama-3.1-8b:Q4_K_M:tiny]\n";

function errorLine(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MoebenchError);
    const line = (e as MoebenchError).line();
    expect(line).not.toContain("\n");
    return line;
  }
  throw new Error("expected a MoebenchError");
}

/** An alias bomb: each level refers 9 times to the one before, 9^10 strings if expanded. */
function aliasBomb(): string {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  const names = "bcdefghijk".split("");
  let prev = "a";
  for (const n of names) {
    lines.push(`${n}: &${n} [${Array(9).fill(`*${prev}`).join(",")}]`);
    prev = n;
  }
  return `${lines.join("\n")}\n${M}`;
}

describe("suite values", () => {
  it.each([
    ["tests: [pp0]", "s.yaml: tests[0]: a test is pp<N>, tg<N> or pp<N>+tg<M> with N, M ≥ 1"],
    ["tests: [tg0]", "s.yaml: tests[0]: a test is pp<N>, tg<N> or pp<N>+tg<M> with N, M ≥ 1"],
    ["tests: [pp512+tg0]", "s.yaml: tests[0]: a test is pp<N>, tg<N> or pp<N>+tg<M> with N, M ≥ 1"],
    ["tests: [pp05]", "s.yaml: tests[0]: a test is pp<N>, tg<N> or pp<N>+tg<M> with N, M ≥ 1"],
    ["tests: [pp99999999999]", "s.yaml: tests[0]: a test's token counts are at most 16777216"],
    ["tests: [{pp: 0}]", "s.yaml: tests[0].pp: Too small: expected number to be >0"],
    ["tests: [{tg: -3}]", "s.yaml: tests[0].tg: Too small: expected number to be >0"],
    ["tests: [{pp: 1.5}]", "s.yaml: tests[0].pp: Invalid input: expected int, received number"],
    ["tests: [{}]", "s.yaml: tests[0]: a test needs pp, tg or both"],
    ["depths: [1000000000]", "s.yaml: depths[0]: Too big: expected number to be <=16777216"],
    ["contexts: [100]", "s.yaml: contexts[0]: Too small: expected number to be >=256"],
    ["name: ..", "s.yaml: name: a name is used as a folder name: not . or .., not starting with . or -"],
    ["name: a/b", "s.yaml: name: use letters, digits, - . _"],
    ["maxInstances: 0", "s.yaml: maxInstances: Too small: expected number to be >0"],
    ["repetitions: {min: 5, max: 2}", "s.yaml: repetitions: max must be ≥ min"],
    ["repetitons: {min: 2}", 's.yaml: Unrecognized key: "repetitons" (did you mean repetitions?)'],
  ])("%s", (yaml, line) => {
    expect(errorLine(() => parseSuite(`${M}${yaml}\n`, "s.yaml"))).toBe(line);
  });

  it("a YAML syntax error names line and column", () => {
    expect(errorLine(() => parseSuite(`${M}tests: [pp512\n`, "s.yaml"))).toMatch(
      /^s\.yaml:3:1: YAML syntax error: .+ \(fix the YAML\)$/,
    );
  });
  it("a document that is not a mapping", () => {
    expect(errorLine(() => parseSuite("- a\n- b\n", "s.yaml"))).toBe(
      "s.yaml: a suite is a YAML mapping with at least a models: list (see suites/default.yaml)",
    );
    expect(errorLine(() => parseSuite("", "s.yaml"))).toMatch(/^s\.yaml: a suite is a YAML mapping/);
  });
  it("no models and no endpoints", () => {
    expect(errorLine(() => parseSuite("name: x\n", "s.yaml"))).toBe(
      "s.yaml: models: list at least one model (models:) or server (endpoints:)",
    );
  });
  it("an alias bomb is a suite error, not a stack trace or a heap", () => {
    expect(errorLine(() => parseSuite(aliasBomb(), "s.yaml"))).toMatch(
      /^s\.yaml: YAML aliases expand too far \(.*\) \(write the values out: a suite may expand at most 100 aliases\)$/,
    );
  });
  it("fills defaults and names the suite after its file", () => {
    const s = parseSuite(M, "dir/my-suite.yaml");
    expect(s.name).toBe("my-suite");
    expect(s.tests).toEqual(["pp512", "tg128"]);
    expect(s.contexts).toEqual(["auto"]);
    expect(s.maxInstances).toBe(10_000);
    expect(s.beyondTrainedContext).toBe(false);
  });
});

describe("suite files", () => {
  const d = tmp();
  it("a file called ...yaml does not name its results folder ..", () => {
    const f = join(d, "...yaml");
    writeFileSync(f, M);
    // basename without extension is ".."; as a folder name it would write outside results/
    expect(loadSuite(f).name).toBe("suite");
  });
  it("a folder given as a suite", () => {
    const f = join(d, "folder.yaml");
    mkdirSync(f);
    expect(errorLine(() => loadSuite(f))).toBe(
      `${f}: is a folder, not a suite file (pass a .yaml suite, e.g. suites/default.yaml)`,
    );
  });
  it("a missing file", () => {
    expect(errorLine(() => loadSuite(join(d, "nope.yaml")))).toBe(
      `cannot read suite ${join(d, "nope.yaml")}: no such file or folder (ENOENT) (check the path)`,
    );
  });
  it("an oversized file is refused before it is read", () => {
    const f = join(d, "big.yaml");
    writeFileSync(f, `${M}# ${"x".repeat(2 << 20)}\n`);
    expect(errorLine(() => loadSuite(f))).toMatch(/big\.yaml: \d+ bytes is too large for a suite \(at most 1048576\)/);
  });
  it("a path through a file (as root, the unreadable file a user meets; EACCES cannot be made for root)", () => {
    const f = join(d, "plain.yaml");
    writeFileSync(f, M);
    expect(errorLine(() => loadSuite(join(f, "x.yaml")))).toBe(
      `cannot read suite ${join(f, "x.yaml")}: not a folder (ENOTDIR) (a parent of that path is a file, not a folder)`,
    );
  });
});
