// One full fine-tuning step of a BERT sequence classifier on the GPU (benchmarks/train_step/train_step.hpp), fp32,
// counter-stream dropout (the Trainer's default on CUDA).
//   bench_train_step_cuda --config config.json [--batch B] [--seq S] [benchmark flags]
#include "train_step/train_step.hpp"

int main(int argc, char** argv) {
    return tinybert::bench::train_step_main<tinybert::Cuda>(argc, argv);
}
