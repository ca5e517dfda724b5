import type { GgmlType } from "../ggmlTypes.js";

/** Seeded xorshift128+ PRNG (fast, reproducible; not cryptographic). */
export class Rng {
  private s0: bigint;
  private s1: bigint;
  constructor(seed: number) {
    // splitmix64 to spread the seed
    let z = BigInt(seed) + 0x9e3779b97f4a7c15n;
    const mix = (): bigint => {
      z = (z + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
      let x = z;
      x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
      x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
      return x ^ (x >> 31n);
    };
    this.s0 = mix();
    this.s1 = mix();
  }
  /** Fill with pseudo-random 32-bit words (xorshift32 streams seeded from the 128-bit state: fast in JS). */
  fill(out: Uint32Array): void {
    let a = Number(this.s0 & 0xffffffffn) | 1;
    let b = Number(this.s1 & 0xffffffffn) | 1;
    for (let i = 0; i < out.length; i++) {
      a ^= a << 13;
      a ^= a >>> 17;
      a ^= a << 5;
      b ^= b << 17;
      b ^= b >>> 13;
      b ^= b << 5;
      out[i] = (a + b) >>> 0;
    }
    this.s0 = (this.s0 * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    this.s1 ^= this.s0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    const w = new Uint32Array(1);
    this.fill(w);
    return w[0]! / 4294967296;
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** float → IEEE half bits (round to nearest; handles subnormals; inputs here are small and finite). */
export function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    const m = (mant | 0x800000) >>> (1 - exp);
    return sign | ((m + 0x1000) >>> 13);
  }
  if (exp >= 31) return sign | 0x7bff; // clamp to the largest finite half
  return sign | (exp << 10) | ((mant + 0x1000) >>> 13);
}

/** Per-type fp16 scale ranges chosen so dequantized weights are ~±0.02 (finite, well-conditioned activations). */
const SCALE_RANGE: Record<string, [number, number][]> = {
  Q4_0: [[0.003, 0.006]],
  Q4_1: [
    [0.003, 0.006],
    [-0.05, -0.03],
  ],
  Q5_0: [[0.0015, 0.003]],
  Q5_1: [
    [0.0015, 0.003],
    [-0.05, -0.03],
  ],
  Q8_0: [[0.0002, 0.0004]],
  Q2_K: [
    [0.001, 0.003],
    [0.001, 0.003],
  ],
  Q3_K: [[0.0003, 0.0006]],
  Q4_K: [
    [0.00008, 0.00015],
    [0.00008, 0.00015],
  ],
  Q5_K: [
    [0.00004, 0.00008],
    [0.00004, 0.00008],
  ],
  Q6_K: [[0.00002, 0.00004]],
};

/**
 * A pool of valid random blocks of one ggml type (about `bytes` long). Tensors are written as
 * slices of the pool starting at a per-tensor offset, so writing is bounded in memory and runs at disk speed.
 */
export function makeBlockPool(type: GgmlType, rng: Rng, bytes = 8 << 20): Buffer {
  const nBlocks = Math.max(1, Math.floor(bytes / type.typeSize));
  const size = nBlocks * type.typeSize;
  const words = new Uint32Array(Math.ceil(size / 4));
  rng.fill(words);
  const buf = Buffer.from(words.slice().buffer, 0, size);
  if (type.name === "F16" || type.name === "BF16") {
    const n = size / 2;
    for (let i = 0; i < n; i++) {
      const v = (((words[i >> 1]! >>> ((i & 1) * 16)) & 0xffff) / 65536 - 0.5) * 0.08;
      if (type.name === "F16") buf.writeUInt16LE(toHalf(v), i * 2);
      else {
        f32[0] = v;
        buf.writeUInt16LE(u32[0]! >>> 16, i * 2);
      }
    }
    return buf;
  }
  if (type.name === "F32") {
    for (let i = 0; i < size / 4; i++) buf.writeFloatLE((words[i]! / 4294967296 - 0.5) * 0.08, i * 4);
    return buf;
  }
  const ranges = SCALE_RANGE[type.name];
  if (!ranges) throw new Error(`no scale range for ${type.name}`);
  for (let b = 0; b < nBlocks; b++) {
    const base = b * type.typeSize;
    type.scales.forEach((off, k) => {
      const [lo, hi] = ranges[k] ?? ranges[0]!;
      const r = words[(b * 7 + k) % words.length]! / 4294967296;
      buf.writeUInt16LE(toHalf(lo + r * (hi - lo)), base + off);
    });
  }
  return buf;
}
