// llama-bench's pp and tg tests with nothing else around them, on the libraries this is linked with: the control
// side of npm run bench:fidelity (two C++ drivers making the same calls; how far apart the machine puts them is
// the yardstick for moebench's ratios), and the floor moebench's harness figure is read against.
//
// As llama-bench does, each test gets its own context and persistent threadpool: first pp (the prompt as
// llama_batch_get_one batches of up to 512 tokens, then llama_synchronize), then tg (llama_decode of one token,
// llama_synchronize, next token), each with llama_memory_clear before every repetition. Each test runs one
// warm-up repetition (llama-bench warms tg up with a single token; the fidelity script drops its first
// repetition instead). One JSON line per measured repetition of each test:
//   {"test": "pp", "tokPerSec": …}
//   {"test": "tg", "tokPerSec": …, "outsideUsPerToken": …}
// outsideUsPerToken: µs per generated token spent outside llama.cpp's own decode clock (wall time less
// llama_perf_context's t_eval_ms): the part of a token's time that any caller pays.
//
// usage: bench-loop <model.gguf> <threads> <tg tokens> <repetitions> [<pp tokens>]
//        (GGML backends are loaded from $BACKEND_DIR; no pp test when <pp tokens> is 0 or absent)
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "llama.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

constexpr int kBatch = 512;

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

// seeded token ids (timing must not depend on a tokenizer), 64-bit so that no vocabulary size overflows
struct Tokens {
    int64_t next  = 1;
    int64_t vocab = 1;

    llama_token operator()() {
        const auto t = static_cast<llama_token>(next);
        next         = (next * 7919 + 17) % vocab;
        return t;
    }
};

// the CPU backend's threadpool functions, found through its registry as llama-bench finds them
template <typename F> F cpu_proc(const char * name) {
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU));
    return reinterpret_cast<F>(ggml_backend_reg_get_proc_address(reg, name));
}

struct TestContext {
    llama_context *   ctx  = nullptr;
    ggml_threadpool * pool = nullptr;

    ~TestContext() {
        llama_free(ctx);
        if (pool) {
            cpu_proc<void (*)(ggml_threadpool *)>("ggml_threadpool_free")(pool);
        }
    }
};

// a context for one test with a persistent threadpool attached, as llama-bench makes for each test
bool test_context(TestContext & test, llama_model * model, int threads, int n_ctx) {
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx                = n_ctx;
    cp.n_batch              = kBatch;
    cp.n_ubatch             = kBatch;
    cp.n_threads            = threads;
    cp.n_threads_batch      = threads;
    cp.flash_attn_type      = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.no_perf              = false;  // keep llama.cpp's decode clock
    test.ctx                = llama_init_from_model(model, cp);
    if (!test.ctx) {
        return false;
    }
    ggml_threadpool_params tpp = ggml_threadpool_params_default(threads);
    test.pool = cpu_proc<ggml_threadpool * (*) (ggml_threadpool_params *)>("ggml_threadpool_new")(&tpp);
    if (!test.pool) {
        return false;
    }
    llama_attach_threadpool(test.ctx, test.pool, nullptr);
    return true;
}

bool run_pp(llama_context * ctx, int n_pp, int reps, Tokens & next) {
    std::vector<llama_token> batch(kBatch);
    for (int r = 0; r <= reps; r++) {  // repetition 0 is the warm-up
        llama_memory_clear(llama_get_memory(ctx), false);
        const auto t0 = clock_type::now();
        for (int done = 0; done < n_pp;) {
            const int n = n_pp - done < kBatch ? n_pp - done : kBatch;
            for (int i = 0; i < n; i++) {
                batch[i] = next();
            }
            if (llama_decode(ctx, llama_batch_get_one(batch.data(), n)) != 0) {
                return false;
            }
            done += n;
        }
        llama_synchronize(ctx);
        const double wall = ms_since(t0);
        if (r > 0) {
            printf("{\"test\": \"pp\", \"tokPerSec\": %.3f}\n", n_pp / wall * 1000);
        }
    }
    return true;
}

bool run_tg(llama_context * ctx, int n_gen, int reps, Tokens & next) {
    for (int r = 0; r <= reps; r++) {  // repetition 0 is the warm-up
        llama_memory_clear(llama_get_memory(ctx), false);
        const double clock0 = llama_perf_context(ctx).t_eval_ms;
        const auto   t0     = clock_type::now();
        for (int i = 0; i < n_gen; i++) {
            llama_token token = next();
            if (llama_decode(ctx, llama_batch_get_one(&token, 1)) != 0) {
                return false;
            }
            llama_synchronize(ctx);
        }
        const double wall  = ms_since(t0);
        const double clock = llama_perf_context(ctx).t_eval_ms - clock0;
        if (r > 0) {
            printf("{\"test\": \"tg\", \"tokPerSec\": %.3f, \"outsideUsPerToken\": %.3f}\n", n_gen / wall * 1000,
                   (wall - clock) * 1000 / n_gen);
        }
    }
    return true;
}

}  // namespace

int main(int argc, char ** argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s <model.gguf> <threads> <tg tokens> <repetitions> [<pp tokens>]\n", argv[0]);
        return 2;
    }
    const int threads = atoi(argv[2]);
    const int n_gen   = atoi(argv[3]);
    const int reps    = atoi(argv[4]);
    const int n_pp    = argc == 6 ? atoi(argv[5]) : 0;
    if (threads < 1 || n_gen < 1 || reps < 1 || n_pp < 0) {
        fprintf(stderr, "threads, tg tokens and repetitions must be ≥ 1, pp tokens ≥ 0\n");
        return 2;
    }
    ggml_backend_load_all_from_path(getenv("BACKEND_DIR"));
    llama_log_set([](ggml_log_level, const char *, void *) {}, nullptr);

    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers       = 0;
    llama_model * model   = llama_model_load_from_file(argv[1], mp);
    if (!model) {
        fprintf(stderr, "cannot load %s\n", argv[1]);
        return 1;
    }
    Tokens next;
    next.vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));

    // llama-bench sizes each test's context to its tokens (llama.cpp pads the KV cache to 256 cells)
    if (n_pp > 0) {
        TestContext pp;
        if (!test_context(pp, model, threads, n_pp) || !run_pp(pp.ctx, n_pp, reps, next)) {
            fprintf(stderr, "pp test failed\n");
            return 1;
        }
    }
    {
        TestContext tg;
        if (!test_context(tg, model, threads, n_gen) || !run_tg(tg.ctx, n_gen, reps, next)) {
            fprintf(stderr, "tg test failed\n");
            return 1;
        }
    }
    llama_model_free(model);
    return 0;
}
