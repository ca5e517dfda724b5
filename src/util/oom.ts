/**
 * The one out-of-memory classifier: does this text (an error message, a process's stderr) say that an
 * allocation failed? llama.cpp reports a failed buffer allocation as "failed to allocate buffer of size …"
 * (ggml-backend), CUDA as "cudaMalloc failed: out of memory", Vulkan as "ErrorOutOfDeviceMemory", Metal as
 * "failed to allocate … (out of memory)", node-llama-cpp as InsufficientMemoryError ("Not enough VRAM …"),
 * C++ as std::bad_alloc. Lines that llama.cpp prints as warnings and recovers from (pinned host memory,
 * a skipped reorder buffer) do not count.
 */
const OOM = new RegExp(
  [
    "out of memory",
    "failed to allocate",
    "cudaMalloc failed",
    "ErrorOutOf(Device|Host)Memory",
    "std::bad_alloc",
    "InsufficientMemoryError",
    "insufficient memory",
    "not enough (v?ram|memory)",
    "unable to allocate",
    "cannot allocate memory",
  ].join("|"),
  "i",
);
const RECOVERED = /pinned memory|skipping reorder/i;

export function isOomText(text: string): boolean {
  return text.split("\n").some((line) => OOM.test(line) && !RECOVERED.test(line));
}
