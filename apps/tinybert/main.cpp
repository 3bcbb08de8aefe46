// tinybert command-line program: `tinybert <command> [options]`. Progress goes to stderr, results to stdout.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "cmd_embed.hpp"
#include "cmd_evaluate.hpp"
#include "cmd_finetune.hpp"
#include "cmd_parity.hpp"
#include "cmd_predict.hpp"
#include "cmd_quantize.hpp"
#include "cmd_serve.hpp"
#include "cmd_tokenize.hpp"
#include "distributed.hpp"
#include "tinybert/backend/cpu/eigen_map.hpp"

namespace {

// Results go to stdout. Redirected to a file (`> out.jsonl`), a write error such as a full disk must fail the command
// rather than leave a short file, and the file is fsync'ed like every other file tinybert writes.
int finish_stdout(std::string_view cmd, int rc) {
    std::cout.flush();
    errno = 0;
    const bool flushed = std::fflush(stdout) == 0;
    if (!flushed || std::ferror(stdout) || std::cout.bad()) {
        std::cerr << "tinybert " << cmd << ": error: stdout: write failed"
                  << (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string()) << "\n";
        return 1;
    }
    struct stat st {};
    if (::fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) && ::fsync(STDOUT_FILENO) != 0) {
        std::cerr << "tinybert " << cmd << ": error: stdout: fsync failed: " << std::strerror(errno) << "\n";
        return 1;
    }
    return rc;
}

int usage(std::ostream& os) {
    os << "usage: tinybert <command> [options]\n"
          "commands:\n"
          "  tokenize   encode JSONL texts from stdin with a WordPiece vocabulary\n"
          "  finetune   fine-tune a checkpoint for classification, ner or qa and save the best model\n"
          "  evaluate   score a fine-tuned model on a dataset\n"
          "  predict    run a fine-tuned model on JSONL from stdin\n"
          "  quantize   write an int8 copy of a model folder for CPU inference\n"
          "  embed      sentence embeddings of JSONL texts from stdin (JSONL out, or a .npy file)\n"
          "  serve      answer HTTP/JSON requests with a model (predictions or embeddings)\n"
          "  parity     compare a checkpoint's outputs, gradients and training steps with a reference file\n";
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return usage(std::cerr);
    const std::string_view cmd = argv[1];
    // serve waits for SIGTERM/SIGINT with sigwait, so they must be blocked in every thread, and threads inherit the
    // mask: block them before flush_denormals starts the OpenMP pool.
    if (cmd == "serve") tinybert::cli::serve::block_stop_signals();
    tinybert::flush_denormals();  // before any worker thread exists; see backend/cpu/eigen_map.hpp
    try {
        // Only finetune and evaluate run data-parallel; N copies of another command would each do the whole job.
        if (cmd != "finetune" && cmd != "evaluate" && tinybert::cli::launcher_world_size() > 1)
            TINYBERT_FAIL("only `tinybert finetune` and `tinybert evaluate` run under mpirun/srun with several "
                          "processes; run `tinybert ", cmd, "` as one process (docs/distributed.md)");
        if (cmd == "tokenize") return finish_stdout(cmd, tinybert::cli::run_tokenize(argc - 1, argv + 1));
        if (cmd == "parity") return finish_stdout(cmd, tinybert::cli::run_parity(argc - 1, argv + 1));
        if (cmd == "finetune") return finish_stdout(cmd, tinybert::cli::run_finetune(argc - 1, argv + 1));
        if (cmd == "evaluate") return finish_stdout(cmd, tinybert::cli::run_evaluate(argc - 1, argv + 1));
        if (cmd == "predict") return finish_stdout(cmd, tinybert::cli::run_predict(argc - 1, argv + 1));
        if (cmd == "quantize") return finish_stdout(cmd, tinybert::cli::run_quantize(argc - 1, argv + 1));
        if (cmd == "embed") return finish_stdout(cmd, tinybert::cli::run_embed(argc - 1, argv + 1));
        if (cmd == "serve") return tinybert::cli::run_serve(argc - 1, argv + 1);
        if (cmd == "--help" || cmd == "-h" || cmd == "help") {
            usage(std::cout);
            return 0;
        }
    } catch (const std::exception& e) {
        std::cerr << "tinybert " << cmd << ": error: " << e.what() << "\n";
        return 1;
    }
    std::cerr << "tinybert: unknown command '" << cmd << "'\n";
    return usage(std::cerr);
}
