// The loops of llama-bench's pp and tg tests (pp: the prompt as llama_batch_get_one batches of up to 512 tokens,
// then llama_synchronize; tg: llama_decode of one token, llama_synchronize, next token), with nothing else
// around them, on the libraries it is linked with. For each repetition it prints the pp and tg rates and how
// many µs per generated token the loop spent outside llama.cpp's own decode clock (wall time less
// llama_perf_context's t_eval_ms): the part of a token's time that any caller pays, the floor moebench's
// harness figure is read against. npm run bench:fidelity compiles it and runs it in every pair as the control.
//
// usage: tg-loop <model.gguf> <threads> <tokens> <repetitions> [<prompt tokens>]
//        (GGML backends are loaded from $BACKEND_DIR; no prompt test when <prompt tokens> is 0 or absent)
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "llama.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

int main(int argc, char ** argv) {
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s <model.gguf> <threads> <tokens> <repetitions> [<prompt tokens>]\n", argv[0]);
        return 2;
    }
    const int threads = atoi(argv[2]);
    const int n_gen   = atoi(argv[3]);
    const int reps    = atoi(argv[4]);
    const int n_pp    = argc == 6 ? atoi(argv[5]) : 0;
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
    cp.n_ctx                = n_pp > 512 ? n_pp : 512;
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
    std::vector<llama_token> prompt(512);
    for (int r = 0; r <= reps; r++) {  // repetition 0 is the warm-up
        double pp_rate = 0;
        if (n_pp > 0) {
            llama_memory_clear(llama_get_memory(ctx), false);
            const auto t0 = std::chrono::steady_clock::now();
            for (int done = 0; done < n_pp;) {
                const int n = n_pp - done < 512 ? n_pp - done : 512;
                for (int i = 0; i < n; i++) {
                    prompt[i] = token;
                    token     = (token * 7919 + 17) % n_vocab;
                }
                if (llama_decode(ctx, llama_batch_get_one(prompt.data(), n)) != 0) {
                    fprintf(stderr, "llama_decode failed (prompt)\n");
                    return 1;
                }
                done += n;
            }
            llama_synchronize(ctx);
            pp_rate = n_pp / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
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
        if (r > 0) {
            printf("{\"tokPerSec\": %.3f, \"outsideUsPerToken\": %.3f, \"ppTokPerSec\": %.3f}\n", n_gen / wall * 1000,
                   (wall - clock) * 1000 / n_gen, pp_rate);
        }
    }
    return 0;
}
