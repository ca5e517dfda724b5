declare module "@stdlib/stats-ttest2" {
  interface Result {
    rejected: boolean;
    alpha: number;
    pValue: number;
    statistic: number;
    ci: [number, number];
    df: number;
    method: string;
    xmean: number;
    ymean: number;
  }
  function ttest2(
    x: number[],
    y: number[],
    opts?: { alpha?: number; alternative?: "two-sided" | "less" | "greater"; difference?: number },
  ): Result;
  export default ttest2;
}
