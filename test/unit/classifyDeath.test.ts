import { describe, expect, it } from "vitest";
import { classifyDeath, type DeathFacts } from "../../src/bench/classifyDeath.js";
import { memoryExhausted } from "../../src/bench/memoryWatch.js";
import { isOomText } from "../../src/util/oom.js";
import { vramFull } from "../../src/bench/runner.js";

const GiB = 2 ** 30;
const facts = (f: Partial<DeathFacts>): DeathFacts => ({
  interrupting: false,
  timedOut: false,
  timeoutSec: 900,
  code: null,
  signal: null,
  stderr: "",
  memory: null,
  during: "instance",
  ...f,
});
const kind = (f: Partial<DeathFacts>): string => {
  const d = classifyDeath(facts(f));
  return d.kind === "interrupted" ? "interrupted" : d.status;
};

describe("one OOM classifier", () => {
  it.each([
    "ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer of size 17179869184",
    "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 8192.00 MiB on device 0: cudaMalloc failed: out of memory",
    "ggml_vulkan: Device memory allocation of size 4294967296 failed.\n" +
      "vk::Device::allocateMemory: ErrorOutOfDeviceMemory",
    "llama_init_from_model: failed to initialize the context: failed to allocate compute pp buffers",
    "terminate called after throwing an instance of 'std::bad_alloc'",
    "InsufficientMemoryError: Not enough VRAM to fit the model with the specified settings",
  ])("%s → oom", (text) => expect(isOomText(text)).toBe(true));

  it.each([
    "llama_model_load: error loading model: tensor 'blk.0.attn_q.weight' data is not within the file bounds",
    "WARNING: failed to allocate 512.00 MB of pinned memory: out of memory",
    "ggml_sycl: failed to allocate 1024 bytes for reorder temp buffer, skipping reorder",
    "Failed to create context",
  ])("%s → not oom", (text) => expect(isOomText(text)).toBe(false));
});

describe("classifyDeath", () => {
  it("a user interrupt records nothing, whichever process the signal reached first", () => {
    expect(kind({ interrupting: true, signal: "SIGKILL" })).toBe("interrupted");
    expect(kind({ signal: "SIGINT" })).toBe("interrupted");
    expect(kind({ signal: "SIGTERM", during: "load" })).toBe("interrupted");
    expect(kind({ code: 130 })).toBe("interrupted");
  });

  it("SIGKILL while the parent was not interrupting is a crash, not an interrupt", () => {
    expect(kind({ signal: "SIGKILL" })).toBe("crash");
    expect(kind({ signal: "SIGSEGV" })).toBe("crash");
    expect(kind({ code: 134 })).toBe("crash");
  });

  it("the parent's timer is a timeout (even though it killed with SIGKILL)", () => {
    expect(kind({ timedOut: true, signal: "SIGKILL" })).toBe("timeout");
    const d = classifyDeath(facts({ timedOut: true, signal: "SIGKILL", during: "load", timeoutSec: 30 }));
    expect(d.kind === "failed" && d.message).toBe("model load took over 30 s (worker killed)");
  });

  it("an allocation failure on stderr is oom, quoting the line", () => {
    const stderr = "llama_kv_cache: CPU KV buffer size = 64 MiB\nfailed to allocate buffer of size 1024\n";
    const d = classifyDeath(facts({ code: 1, stderr }));
    expect(d).toEqual({
      kind: "failed",
      status: "oom",
      message: "worker exited with code 1 while running the instance: failed to allocate buffer of size 1024",
    });
  });

  it("SIGKILL with memory exhausted is the OOM killer: oom; with memory to spare it is a crash", () => {
    const memory = { peakRssBytes: 22 * GiB, limitBytes: 24 * GiB, minAvailableBytes: 4 * GiB };
    expect(kind({ signal: "SIGKILL", memory })).toBe("oom");
    // 22/24 = 0.917 ≥ 0.9 → exhausted; 20/24 = 0.833 with 4 GiB available → not
    expect(memoryExhausted(memory)).toBe("peak RSS 22.0 GiB of a 24.0 GiB limit");
    expect(kind({ signal: "SIGKILL", memory: { ...memory, peakRssBytes: 20 * GiB } })).toBe("crash");
    // a non-SIGKILL death is never blamed on memory without a message saying so
    expect(kind({ signal: "SIGSEGV", memory })).toBe("crash");
  });
});

describe("GPU memory as OOM evidence", () => {
  const rows = (used: number, total: number) => ({
    rows: [{ t: 1, gpu: 0, v: { "memory.used": used, "memory.total": total } }],
  });
  it("a SIGKILL while telemetry saw the card at ≥ 95% of its memory is oom", () => {
    // 23400 / 24576 = 0.952 ≥ 0.95; 23000 / 24576 = 0.936 < 0.95
    expect(vramFull(rows(23400, 24576))).toBe("VRAM 23400 of 24576 MiB");
    expect(vramFull(rows(23000, 24576))).toBeNull();
    expect(vramFull(undefined)).toBeNull();
    expect(kind({ signal: "SIGKILL", vramFull: "VRAM 23400 of 24576 MiB" })).toBe("oom");
    expect(kind({ signal: "SIGSEGV", vramFull: "VRAM 23400 of 24576 MiB" })).toBe("crash");
  });
});
