import { describe, expect, it } from "vitest";
import { fmtBytes, fmtCount, parseSize, parseTokens } from "../../src/util/units.js";

describe("units", () => {
  it.each([
    ["12GiB", 12 * 1024 ** 3],
    ["12 GB", 12e9],
    ["12288MiB", 12288 * 1024 ** 2],
    ["1.5 TiB", 1.5 * 1024 ** 4],
    ["64kib", 64 * 1024],
    ["500b", 500],
    ["42", 42],
  ])("parseSize(%j) = %d", (s, n) => {
    expect(parseSize(s)).toBe(n);
  });
  it.each(["", "GiB", "12 XB", "-3GB", "1.2.3"])("parseSize(%j) is undefined", (s) => {
    expect(parseSize(s)).toBeUndefined();
  });
  it.each([
    ["8k", 8192],
    ["32K", 32768],
    ["4096", 4096],
  ])("parseTokens(%j) = %d", (s, n) => {
    expect(parseTokens(s)).toBe(n);
  });
  it("parseTokens refuses other units", () => {
    expect(parseTokens("8m")).toBeUndefined();
  });
  it.each([
    [512, "512 B"],
    [1536, "1.5 KiB"],
    [5 * 1024 ** 2, "5.0 MiB"],
    [4.7 * 1024 ** 3, "4.70 GiB"],
  ])("fmtBytes(%d) = %s", (n, s) => {
    expect(fmtBytes(n)).toBe(s);
  });
  it.each([
    [999, "999"],
    [1500, "1.5k"],
    [8.3e6, "8.3M"],
    [8.3e9, "8.30B"],
  ])("fmtCount(%d) = %s", (n, s) => {
    expect(fmtCount(n)).toBe(s);
  });
});
