/** GGUF metadata values (the subset of value types moebench writes; the reader handles all of them). */
export type GgufScalarType =
  | "u8"
  | "i8"
  | "u16"
  | "i16"
  | "u32"
  | "i32"
  | "f32"
  | "bool"
  | "string"
  | "u64"
  | "i64"
  | "f64";

export type GgufValue =
  | { type: Exclude<GgufScalarType, "string" | "bool">; value: number }
  | { type: "string"; value: string }
  | { type: "bool"; value: boolean }
  | { type: "array"; itemType: GgufScalarType; value: (number | string | boolean)[] };

export const GGUF_TYPE_IDS: Readonly<Record<GgufScalarType | "array", number>> = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
};
export const GGUF_TYPE_NAMES: readonly (GgufScalarType | "array")[] = [
  "u8",
  "i8",
  "u16",
  "i16",
  "u32",
  "i32",
  "f32",
  "bool",
  "string",
  "array",
  "u64",
  "i64",
  "f64",
];

/** Growable little-endian byte builder for GGUF headers. */
export class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number | bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }
  scalar(type: GgufScalarType, v: number | string | boolean): void {
    switch (type) {
      case "u8":
        this.u8(Number(v));
        break;
      case "i8":
        this.ensure(1);
        this.buf.writeInt8(Number(v), this.length);
        this.length += 1;
        break;
      case "u16":
        this.ensure(2);
        this.buf.writeUInt16LE(Number(v), this.length);
        this.length += 2;
        break;
      case "i16":
        this.ensure(2);
        this.buf.writeInt16LE(Number(v), this.length);
        this.length += 2;
        break;
      case "u32":
        this.u32(Number(v));
        break;
      case "i32":
        this.i32(Number(v));
        break;
      case "f32":
        this.f32(Number(v));
        break;
      case "bool":
        this.u8(v ? 1 : 0);
        break;
      case "string":
        this.str(String(v));
        break;
      case "u64":
        this.u64(BigInt(Number(v)));
        break;
      case "i64":
        this.ensure(8);
        this.buf.writeBigInt64LE(BigInt(Number(v)), this.length);
        this.length += 8;
        break;
      case "f64":
        this.ensure(8);
        this.buf.writeDoubleLE(Number(v), this.length);
        this.length += 8;
        break;
    }
  }
  value(v: GgufValue): void {
    this.u32(GGUF_TYPE_IDS[v.type]);
    if (v.type === "array") {
      this.u32(GGUF_TYPE_IDS[v.itemType]);
      this.u64(v.value.length);
      for (const x of v.value) this.scalar(v.itemType, x);
    } else {
      this.scalar(v.type, v.value);
    }
  }
  pad(align: number): void {
    const n = (align - (this.length % align)) % align;
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
