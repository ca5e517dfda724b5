/**
 * A synthetic byte-level BPE vocabulary of the real size: the 256 byte tokens, then merged tokens
 * built from them (each with its merge rule, so text tokenizes into multi-byte tokens as with a real
 * BPE), then the special tokens. Token strings are synthetic; sizes, ids and types are real-shaped.
 */
export interface SynthVocab {
  tokens: string[];
  tokenTypes: number[];
  merges: string[];
  bosId: number;
  eosId: number;
  addBos: boolean;
}

/** GPT-2's reversible byte → printable unicode map (the scheme every byte-level BPE GGUF uses). */
export function byteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const map: string[] = new Array<string>(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (printable.includes(b)) map[b] = String.fromCodePoint(b);
    else map[b] = String.fromCodePoint(256 + n++);
  }
  return map;
}

const SPECIALS: Readonly<Record<string, readonly string[]>> = {
  qwen2: ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
  lfm2: ["<|startoftext|>", "<|endoftext|>", "<|pad|>"],
  default: ["<s>", "</s>", "<unk>"],
};
const LLAMA_SPECIALS = ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"];
const LETTERS = "etaoinshrdlucmfwypvbgkjqxzETAOINSHRDLUCMFWYPVBGKJQXZ0123456789".split("");

/**
 * One level of merges, breadth first: every prefix of the frontier + a letter, until `push` says the
 * vocabulary is full. Returns the next frontier.
 */
function mergeLevel(frontier: readonly string[], push: (left: string, right: string) => boolean): string[] {
  const next: string[] = [];
  for (const a of frontier)
    for (const b of LETTERS) {
      next.push(a + b);
      if (push(a, b)) return next;
    }
  return next;
}

export function synthVocab(size: number, family: string): SynthVocab {
  const specials = SPECIALS[family] ?? LLAMA_SPECIALS;
  if (size < 256 + specials.length + 16)
    throw new Error(`vocabulary of ${size} is too small (at least ${256 + specials.length + 16})`);
  const bytes = byteToUnicode();
  const tokens: string[] = [...bytes];
  const merges: string[] = [];
  const seen = new Set(tokens);
  const nMerged = size - specials.length - 256;
  const push = (left: string, right: string): boolean => {
    const tok = left + right;
    if (seen.has(tok)) return false;
    seen.add(tok);
    tokens.push(tok);
    merges.push(`${left} ${right}`);
    return tokens.length - 256 >= nMerged;
  };
  // level 2: start char (space "Ġ" or a letter) + letter; level 3+: previous level + letter
  let frontier = mergeLevel([bytes[32]!, ...LETTERS], push);
  while (tokens.length - 256 < nMerged) frontier = mergeLevel(frontier, push);
  const tokenTypes = tokens.map(() => 1);
  const first = tokens.length;
  for (const s of specials) {
    tokens.push(s);
    tokenTypes.push(3);
  }
  return { tokens, tokenTypes, merges, bosId: first, eosId: first + 1, addBos: family !== "qwen2" };
}
