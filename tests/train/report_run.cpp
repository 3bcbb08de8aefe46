// report_run OUT_DIR [CRASH_AT]: the tiny run of tiny_report.hpp into OUT_DIR, for the Python checks that read its
// TensorBoard event files (read_tensorboard.py) and its model card (check_model_card.py) with the real readers.
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "train/tiny_report.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: report_run OUT_DIR [CRASH_AT]\n");
        return 2;
    }
    try {
        tinybert::test::report_run(argv[1], argc > 2 ? std::atoll(argv[2]) : 0);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "report_run: %s\n", e.what());
        return 1;
    }
    return 0;
}
