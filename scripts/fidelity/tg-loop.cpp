// The generation loop of llama-bench's tg test (llama_decode of one token, llama_synchronize, next token), with
// nothing else around it, on the libraries it is linked with. For each repetition it prints the rate and how
// many µs per token the loop spent outside llama.cpp's own decode clock (wall time less llama_perf_context's
// t_eval_ms): the part of a token's time that any caller pays, the floor moebench's harness figure is read
// against (npm run bench:fidelity compiles and runs it).
//
// usage: tg-loop <model.gguf> <threads> <tokens> <repetitions>   (GGML backends are loaded from $BACKEND_DIR)
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "llama.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

int main(int argc, char ** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s <model.gguf> <threads> <tokens> <repetitions>\n", argv[0]);
        return 2;
    }
    const int threads = atoi(argv[2]);
    const int n_gen   = atoi(argv[3]);
    const int reps    = atoi(argv[4]);
    const char * backends = getenv("BACKEND_DIR");
    ggml_backend_load_all_from_path(backends);
    llama_log_set([](ggml_log_level, const char *, void *) {}, nullptr);

    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers       = 0;
    llama_model * model   = llama_model_load_from_file(argv[1], mp);
    if (!model) {
        fprintf(stderr, "cannot load %s\n", argv[1]);
        return 1;
    }
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx                = 512;
    cp.n_batch              = 512;
    cp.n_ubatch             = 512;
    cp.n_threads            = threads;
    cp.n_threads_batch      = threads;
    cp.flash_attn_type      = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.no_perf              = false;  // keep llama.cpp's decode clock
    llama_context * ctx     = llama_init_from_model(model, cp);

    // a persistent threadpool, found through the CPU backend's registry as llama-bench finds it
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU));
    using pool_new_t       = ggml_threadpool * (*) (ggml_threadpool_params *);
    auto pool_new          = (pool_new_t) ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_new");
    ggml_threadpool_params tpp = ggml_threadpool_params_default(threads);
    llama_attach_threadpool(ctx, pool_new(&tpp), nullptr);

    const int n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(model));
    llama_token token = 1;
    for (int r = 0; r <= reps; r++) {  // repetition 0 is the warm-up
        llama_memory_clear(llama_get_memory(ctx), false);
        const double clock0 = llama_perf_context(ctx).t_eval_ms;
        const auto   t0     = std::chrono::steady_clock::now();
        for (int i = 0; i < n_gen; i++) {
            if (llama_decode(ctx, llama_batch_get_one(&token, 1)) != 0) {
                fprintf(stderr, "llama_decode failed\n");
                return 1;
            }
            llama_synchronize(ctx);
            token = (token * 7919 + 17) % n_vocab;
        }
        const double wall  = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        const double clock = llama_perf_context(ctx).t_eval_ms - clock0;
        if (r > 0) printf("{\"tokPerSec\": %.3f, \"outsideUsPerToken\": %.3f}\n", n_gen / wall * 1000, (wall - clock) * 1000 / n_gen);
    }
    return 0;
}
