/**
 * parseLlamaBench on hand-written llama-bench text: where each row starts (the line an error names), how
 * CSV/SQL text values are read back, how the format is recognised. Expectations worked out by hand.
 */
import { describe, expect, it } from "vitest";
import { detectFormat, parseLlamaBench } from "../../src/results/parseLlamaBench.js";
import { MoebenchError } from "../../src/util/errors.js";

const HINT = " (produce it with llama-bench -o json (or jsonl, csv, sql))";
const SQL_HINT = " (is it llama-bench -o sql output?)";

function errorLine(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MoebenchError);
    return (e as MoebenchError).line();
  }
  throw new Error("expected a MoebenchError");
}
const parseError = (text: string) => errorLine(() => parseLlamaBench(text, "f"));

describe("JSON: the line each result starts on", () => {
  // element 1 on line 2 (strings holding brackets, an escaped quote and escaped backslashes), element 2 on
  // lines 3-4 (nested arrays and objects), a blank line, element 3 on line 6
  const doc = (bad: number) => {
    const np = (k: number) => (k === bad ? -1 : 64);
    return [
      "[",
      `  {"model_filename": "C:\\\\m\\\\", "n_prompt": ${np(0)}, "n_gen": 0, "avg_ns": 1000, "note": "q\\"]}[{"},`,
      `  {"model_filename": "b.gguf", "n_prompt": ${np(1)},`,
      `   "n_gen": 0, "samples_ns": [1, 2], "o": {"k": [3]}},`,
      "",
      `  {"model_filename": "c.gguf", "n_prompt": ${np(2)}, "n_gen": 0, "avg_ns": 1000}`,
      "]",
    ].join("\n");
  };
  it("reads all three results", () => {
    const { rows, format } = parseLlamaBench(doc(-1), "f");
    expect(format).toBe("json");
    expect(rows.map((r) => [r.model_filename, r.note])).toEqual([
      ["C:\\m\\", 'q"]}[{'],
      ["b.gguf", undefined],
      ["c.gguf", undefined],
    ]);
    expect(rows[1]!.samples_ns).toEqual([1, 2]);
    expect(rows[1]!.avg_ns).toBeUndefined();
  });
  it.each([
    [0, 2],
    [1, 3],
    [2, 6],
  ])("a bad result %i is named on line %i", (bad, line) => {
    expect(parseError(doc(bad))).toBe(
      `f:${line}: result ${bad + 1}: field n_prompt: Too small: expected number to be >=0${HINT}`,
    );
  });
  it("null and an array are not results", () => {
    expect(parseError("[null]")).toBe(`f:1: result 1 is not an object${HINT}`);
    expect(parseError("[[1]]")).toBe(`f:1: result 1 is not an object${HINT}`);
  });
  it("samples_ns alone is a timing, and names the row as llama-bench's", () => {
    const { rows } = parseLlamaBench(
      '[{"model_filename": "m", "n_prompt": 64, "n_gen": 0, "samples_ns": [5, 7]}]',
      "f",
    );
    expect(rows[0]!.samples_ns).toEqual([5, 7]);
    expect(parseError('[{"samples_ns": [1]}]')).toBe(
      `f:1: result 1: field model_filename: Invalid input: expected string, received undefined${HINT}`,
    );
  });
});

describe("invalid JSON: line and column", () => {
  it.each([
    // position 7 on line 1: column 7 - (-1) = 8
    ['{"x": 1', "f:1: not valid JSON (column 8: Expected ',' or '}' after property value)"],
    // the bad character is the newline at position 3, still on line 1: column 4
    ['["a\n"]', "f:1: not valid JSON (column 4: Bad control character in string literal)"],
    // a leading newline at position 0: position 10 is on line 2, column 10 - 0 = 10
    ['\n[{"a": 1,}]', "f:2: not valid JSON (column 10: Expected double-quoted property name)"],
    // no position in the message: line 1, column 1
    ["[1,]", `f:1: not valid JSON (column 1: Unexpected token ']', "[1,]" is not valid JSON)`],
    // JSON Lines: the second line, column 8
    [
      '{"model_filename": "m", "n_prompt": 1, "n_gen": 0, "avg_ns": 1}\n{"x": 1\n',
      "f:2: not valid JSON (column 8: Expected ',' or '}' after property value)",
    ],
  ])("%j", (text, line) => {
    expect(parseError(text)).toBe(`${line}${HINT}`);
  });
  it("JSON Lines skips blank and whitespace-only lines", () => {
    const r = '{"model_filename": "m", "n_prompt": 1, "n_gen": 0, "avg_ns": 1}';
    const { rows, format } = parseLlamaBench(`${r}\n   \n\n${r}\n`, "f");
    expect(format).toBe("jsonl");
    expect(rows).toHaveLength(2);
  });
});

describe("CSV: text values read back", () => {
  it("empty and blank values are absent; a bracketed sample list is numbers", () => {
    const text =
      "model_filename,n_prompt,n_gen,avg_ns,n_depth,n_threads,samples_ns\n" + 'm.gguf,64,0,1000,, ,"[ 1000, 2000 ]"\n';
    const { rows, format } = parseLlamaBench(text, "f");
    expect(format).toBe("csv");
    const r = rows[0]!;
    expect([r.n_prompt, r.n_gen, r.avg_ns]).toEqual([64, 0, 1000]);
    expect(r.n_depth).toBeUndefined();
    expect(r.n_threads).toBeUndefined();
    expect(r.samples_ns).toEqual([1000, 2000]);
  });
  it("a space-separated sample list", () => {
    const { rows } = parseLlamaBench('model_filename,n_prompt,n_gen,avg_ns,samples_ns\nm,64,0,5,"3 4"\n', "f");
    expect(rows[0]!.samples_ns).toEqual([3, 4]);
  });
  it("Windows line ends", () => {
    const text = "model_filename,n_prompt,n_gen,avg_ns\r\nm.gguf,64,0,1000\r\n";
    expect(parseLlamaBench(text, "f").rows.map((r) => [r.model_filename, r.n_prompt, r.avg_ns])).toEqual([
      ["m.gguf", 64, 1000],
    ]);
  });
  it("a quoted header is recognised", () => {
    const text = '"model_filename","n_prompt","n_gen","avg_ns"\n"m.gguf","64","0","1000"\n';
    expect(detectFormat(text, "f")).toBe("csv");
    expect(parseLlamaBench(text, "f").rows.map((r) => [r.model_filename, r.n_prompt, r.avg_ns])).toEqual([
      ["m.gguf", 64, 1000],
    ]);
  });
  it("INSERT INTO inside a CSV value does not make it SQL", () => {
    const text = "model_filename,n_prompt,n_gen,avg_ns\nINSERT INTO.gguf,64,0,1000\n";
    expect(detectFormat(text, "f")).toBe("csv");
    expect(parseLlamaBench(text, "f").rows[0]!.model_filename).toBe("INSERT INTO.gguf");
  });
  it("a header alone (no newline) is CSV with no results", () => {
    expect(parseError("model_filename,n_prompt,n_gen,avg_ns")).toBe(`f: no results in it (csv)${HINT}`);
  });
  it("a header with only some of the signature columns is not llama-bench's", () => {
    expect(parseError("model_filename,n_prompt\nm,1\n")).toBe(
      `f:1: not llama-bench output (no model_filename, n_prompt, n_gen, avg_ns columns)${HINT}`,
    );
  });
  it("leading whitespace before a JSON array", () => {
    expect(detectFormat("\n  [1]", "f")).toBe("json");
    expect(detectFormat("  \n{}", "f")).toBe("jsonl");
    expect(detectFormat("\n insert into t (a) values (1);", "f")).toBe("sql");
  });
});

describe("SQL: llama-bench's INSERT statements", () => {
  const sql = [
    "CREATE TABLE IF NOT EXISTS llama_bench (",
    "  model_filename TEXT",
    ");",
    "  INSERT INTO llama_bench(model_filename, n_prompt, n_gen, avg_ns, type_k, note) VALUES('it''s.gguf', 64, 0, 1000 , f16 , 'a, b');   ",
    "-- INSERT INTO is in this comment",
    "INSERT INTO  llama_bench (model_filename, n_prompt, n_gen, avg_ns)VALUES ('b.gguf', '0', '16', '2000');",
  ].join("\n");
  it("reads quoted, escaped and bare values, whatever the spacing", () => {
    const { rows, format } = parseLlamaBench(sql, "f");
    expect(format).toBe("sql");
    expect(rows.map((r) => [r.model_filename, r.n_prompt, r.n_gen, r.avg_ns, r.type_k, r.note])).toEqual([
      ["it's.gguf", 64, 0, 1000, "f16", "a, b"],
      ["b.gguf", 0, 16, 2000, undefined, undefined],
    ]);
  });
  it("a bad row is named by its line", () => {
    const text =
      "CREATE TABLE t (a TEXT);\n\nINSERT INTO t (model_filename, n_prompt, n_gen, avg_ns) VALUES ('m', '1', 'x', '1');\n";
    expect(parseError(text)).toBe(`f:3: result 1: field n_gen: Invalid input: expected number, received string${HINT}`);
  });
  it.each([
    ["CREATE TABLE t (a TEXT);\nINSERT INTO t VALUES ('a');\n", "f:2: an INSERT statement moebench cannot read"],
    ["INSERT INTO t (a) VALUES ('a'); x\n", "f:1: an INSERT statement moebench cannot read"],
    ["CREATE TABLE t (a TEXT);\nINSERT INTO t (a, b) VALUES ('m', '1', '2');\n", "f:2: 2 columns but 3 values"],
  ])("%j", (text, line) => {
    expect(parseError(text)).toBe(`${line}${SQL_HINT}`);
  });
});
