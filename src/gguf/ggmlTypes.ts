/**
 * ggml tensor types and llama.cpp file types (ftypes) that moebench writes and reads.
 * Block sizes and byte sizes follow ggml's block layouts (ggml-common.h); the `scales` list gives
 * the byte offsets of the fp16 scale fields inside one block, which the synthesizer fills with small
 * finite values so that random blocks never decode to NaN/Inf.
 */
import { blockBytes } from "./weightCounts.js";

export interface GgmlType {
  readonly id: number;
  readonly name: string;
  /** elements per block */
  readonly blockSize: number;
  /** bytes per block */
  readonly typeSize: number;
  /** byte offsets of fp16 scale fields (d, dmin/m) inside a block */
  readonly scales: readonly number[];
  readonly quantized: boolean;
}

/** A type from its id, name, [elements, bytes] per block, scale offsets, and whether it is quantized. */
const t = (
  id: number,
  name: string,
  [blockSize, typeSize]: [number, number],
  scales: number[] = [],
  quantized = true,
): GgmlType => ({ id, name, blockSize, typeSize, scales, quantized });

export const GGML_TYPES: readonly GgmlType[] = [
  t(0, "F32", [1, 4], [], false),
  t(1, "F16", [1, 2], [], false),
  t(2, "Q4_0", [32, 18], [0]),
  t(3, "Q4_1", [32, 20], [0, 2]),
  t(6, "Q5_0", [32, 22], [0]),
  t(7, "Q5_1", [32, 24], [0, 2]),
  t(8, "Q8_0", [32, 34], [0]),
  t(10, "Q2_K", [256, 84], [80, 82]),
  t(11, "Q3_K", [256, 110], [108]),
  t(12, "Q4_K", [256, 144], [0, 2]),
  t(13, "Q5_K", [256, 176], [0, 2]),
  t(14, "Q6_K", [256, 210], [208]),
  t(30, "BF16", [1, 2], [], false),
];

const byName = new Map(GGML_TYPES.map((x) => [x.name, x]));

export function ggmlType(name: string): GgmlType {
  const x = byName.get(name);
  if (!x) throw new Error(`unknown ggml type ${name}`);
  return x;
}

/** Bytes of a tensor of this type and shape (one formula for every tensor: weightCounts.blockBytes). */
export function tensorBytes(type: GgmlType, shape: readonly number[]): number {
  return blockBytes([type.blockSize, type.typeSize], shape);
}

export interface FileType {
  readonly id: number;
  readonly name: string;
  /** the ggml type most tensors get (llama_ftype_get_default_type) */
  readonly defaultType: string;
}

/** The file types moebench synthesizes (names as llama-quantize spells them). */
export const FILE_TYPES: readonly FileType[] = [
  { id: 1, name: "F16", defaultType: "F16" },
  { id: 32, name: "BF16", defaultType: "BF16" },
  { id: 7, name: "Q8_0", defaultType: "Q8_0" },
  { id: 18, name: "Q6_K", defaultType: "Q6_K" },
  { id: 17, name: "Q5_K_M", defaultType: "Q5_K" },
  { id: 16, name: "Q5_K_S", defaultType: "Q5_K" },
  { id: 15, name: "Q4_K_M", defaultType: "Q4_K" },
  { id: 14, name: "Q4_K_S", defaultType: "Q4_K" },
  { id: 2, name: "Q4_0", defaultType: "Q4_0" },
  { id: 13, name: "Q3_K_L", defaultType: "Q3_K" },
  { id: 12, name: "Q3_K_M", defaultType: "Q3_K" },
  { id: 11, name: "Q3_K_S", defaultType: "Q3_K" },
  { id: 10, name: "Q2_K", defaultType: "Q2_K" },
];

/** Names of every llama.cpp ftype id (for `inspect` on real files, including ones we do not write). */
export const FTYPE_NAMES: Readonly<Record<number, string>> = {
  0: "ALL_F32",
  1: "F16",
  2: "Q4_0",
  3: "Q4_1",
  7: "Q8_0",
  8: "Q5_0",
  9: "Q5_1",
  10: "Q2_K",
  11: "Q3_K_S",
  12: "Q3_K_M",
  13: "Q3_K_L",
  14: "Q4_K_S",
  15: "Q4_K_M",
  16: "Q5_K_S",
  17: "Q5_K_M",
  18: "Q6_K",
  19: "IQ2_XXS",
  20: "IQ2_XS",
  21: "Q2_K_S",
  22: "IQ3_XS",
  23: "IQ3_XXS",
  24: "IQ1_S",
  25: "IQ4_NL",
  26: "IQ3_S",
  27: "IQ3_M",
  28: "IQ2_S",
  29: "IQ2_M",
  30: "IQ4_XS",
  31: "IQ1_M",
  32: "BF16",
  36: "TQ1_0",
  37: "TQ2_0",
  38: "MXFP4_MOE",
};

/** ggml type names by id, for reading real files with types we never write. */
export const GGML_TYPE_NAMES: Readonly<Record<number, string>> = {
  0: "F32",
  1: "F16",
  2: "Q4_0",
  3: "Q4_1",
  6: "Q5_0",
  7: "Q5_1",
  8: "Q8_0",
  9: "Q8_1",
  10: "Q2_K",
  11: "Q3_K",
  12: "Q4_K",
  13: "Q5_K",
  14: "Q6_K",
  15: "Q8_K",
  16: "IQ2_XXS",
  17: "IQ2_XS",
  18: "IQ3_XXS",
  19: "IQ1_S",
  20: "IQ4_NL",
  21: "IQ3_S",
  22: "IQ2_S",
  23: "IQ4_XS",
  24: "I8",
  25: "I16",
  26: "I32",
  27: "I64",
  28: "F64",
  29: "IQ1_M",
  30: "BF16",
  34: "TQ1_0",
  35: "TQ2_0",
  39: "MXFP4",
};

/** Block size and bytes per block for every ggml type id a real file may hold. */
export const GGML_BLOCK_BY_ID: Readonly<Record<number, readonly [number, number]>> = {
  0: [1, 4],
  1: [1, 2],
  2: [32, 18],
  3: [32, 20],
  6: [32, 22],
  7: [32, 24],
  8: [32, 34],
  9: [32, 36],
  10: [256, 84],
  11: [256, 110],
  12: [256, 144],
  13: [256, 176],
  14: [256, 210],
  15: [256, 292],
  16: [256, 66],
  17: [256, 74],
  18: [256, 98],
  19: [256, 50],
  20: [32, 18],
  21: [256, 110],
  22: [256, 82],
  23: [256, 136],
  24: [1, 1],
  25: [1, 2],
  26: [1, 4],
  27: [1, 8],
  28: [1, 8],
  29: [256, 56],
  30: [1, 2],
  34: [256, 54],
  35: [256, 66],
  39: [32, 17],
};

export function fileType(name: string): FileType | undefined {
  return FILE_TYPES.find((f) => f.name === name);
}
