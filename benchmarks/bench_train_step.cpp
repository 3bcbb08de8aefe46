// One full fine-tuning step of a BERT sequence classifier on the CPU (benchmarks/train_step/train_step.hpp). Dropout
// masks come from the torch stream, the Trainer's default on the CPU (--dropout-stream counter: the counter stream).
//   bench_train_step --config config.json [--batch B] [--seq S] [--dropout-stream torch|counter] [benchmark flags]
#include "train_step/train_step.hpp"

int main(int argc, char** argv) {
    return tinybert::bench::train_step_main<tinybert::Cpu>(argc, argv);
}
