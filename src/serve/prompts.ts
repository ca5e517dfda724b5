/**
 * A different prompt for every request of a sweep, so that no request finds an earlier one's prompt in the
 * server's prefix cache (which would make time to first token measure a cache hit): seeded random token ids
 * for llama-server (which also gets cache_prompt: false), seeded random common words for servers that take
 * text (about one token each in the usual tokenizers; the server's own count is recorded).
 */
import { randomTokens } from "../util/randomTokens.js";
import type { Prompt } from "./protocols.js";

const WORDS = (
  "the of and to in is it you that he was for on are as with his they at be this have from or one had by " +
  "word but not what all were we when your can said there use an each which she do how their if will up " +
  "other about out many then them these so some her would make like him into time has look two more write " +
  "go see number no way could people my than first water been call who oil its now find long down day did " +
  "get come made may part over new sound take only little work know place year live me back give most very " +
  "after thing our just name good sentence man think say great where help through much before line right too"
).split(" ");

/** llama-server takes token ids: this range exists in every vocabulary moebench meets. */
const TOKEN_RANGE: [number, number] = [100, 1000];

/**
 * Request number `index` of a sweep whose prompts are seeded by `seed`: its own token ids and text (seeds
 * stay small integers: randomTokens multiplies them in floating point).
 */
export function promptFor(seed: number, index: number, tokens: number): Prompt {
  const s = seed + 2 * index;
  return {
    tokens: randomTokens(tokens, s, TOKEN_RANGE[0], TOKEN_RANGE[1]),
    text: randomTokens(tokens, s + 1, 0, WORDS.length)
      .map((w) => WORDS[w]!)
      .join(" "),
  };
}
