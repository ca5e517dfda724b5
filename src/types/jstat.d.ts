declare module "jstat" {
  interface Dist {
    cdf(x: number, df: number): number;
    inv(p: number, df: number): number;
  }
  interface Normal {
    cdf(x: number, mean: number, sd: number): number;
    inv(p: number, mean: number, sd: number): number;
  }
  export const jStat: { studentt: Dist; normal: Normal };
  const _default: { jStat: typeof jStat } & typeof jStat;
  export default _default;
}
