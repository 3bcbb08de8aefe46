// tinybert/train/trainer.hpp: the fine-tuning loop with Hugging Face Trainer semantics (spec §7): epochs, batch size,
// gradient accumulation, AdamW + linear warmup/decay, clipping, evaluation every epoch or every N updates, the best
// model kept in output_dir by a chosen metric, early stopping, resume from output_dir/checkpoint (model, optimizer,
// schedule position, RNG, position in the data), a progress line, a JSONL metrics log and/or TensorBoard event files
// (report_to), and a model card (README.md) next to the saved model. Every save is durable
// (io/files.hpp) and a crash at any instant of a checkpoint save leaves a complete checkpoint for resume
// (save_checkpoint, find_checkpoint).
// Per update: backward → gradient all-reduce (data parallelism) → on_gradients hook → gradient norm (the update's one
// read-back from the device; non-finite: stop, or skip in fp16) → clip → AdamW step → zero grads. Batch losses are
// summed on the device and read at logging steps, before evaluations and at the end (train/loss_sum.hpp).
// Mixed precision (TrainingArguments::precision, core/precision.hpp): the GEMMs of train() and of its evaluations
// run in that precision; fp16 seeds backward with the loss scale, divides the gradients by it before the hook, and
// skips an update with inf/NaN gradients (train/loss_scaler.hpp).
// Data parallelism (docs/distributed.md), with the semantics of accelerate/DDP: given a Communicator of N processes,
// per_device_train_batch_size is per process and each global step takes the next N × B rows of the Trainer's order,
// each process its shard; every process's loss is weighed by its share of the global batch's loss terms
// (loss_items), so that the summed gradients are those of one process on the whole global batch (exactly, not the
// mean of per-process means: NER batches differ in labelled tokens); gradients are summed in buckets during backward
// (dist/grad_buckets.hpp); dropout streams differ per process (dist::rank_seed); the schedule counts global steps;
// only rank 0 writes (model, checkpoints, logs, card); a resume needs the same N.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/core/precision.hpp"
#include "tinybert/data/loader.hpp"
#include "tinybert/dist/grad_buckets.hpp"
#include "tinybert/io/files.hpp"
#include "tinybert/io/safetensors.hpp"
#include "tinybert/train/clip.hpp"
#include "tinybert/train/loss_scaler.hpp"
#include "tinybert/train/loss_sum.hpp"
#include "tinybert/train/model_card.hpp"
#include "tinybert/train/optimizer.hpp"
#include "tinybert/train/progress.hpp"
#include "tinybert/train/schedule.hpp"
#include "tinybert/train/tensorboard.hpp"

namespace tinybert {

// Hugging Face TrainingArguments' names and defaults. Every member has a default initializer, so designated
// initializers may leave any of them out without -Wmissing-field-initializers.
struct TrainingArguments {
    std::string output_dir{};               // best model (+ tokenizer), checkpoint/, metrics.jsonl
    std::size_t num_train_epochs = 3;
    double learning_rate = 5e-5;
    std::size_t per_device_train_batch_size = 8;
    std::size_t gradient_accumulation_steps = 1;
    double warmup_ratio = 0.0;
    std::int64_t warmup_steps = 0;          // > 0 overrides warmup_ratio
    double weight_decay = 0.0;
    double max_grad_norm = 1.0;
    // The GEMM precision of training and of the evaluations inside train() (core/precision.hpp): HF's tf32=True,
    // bf16=True or fp16=True. fp16 adds dynamic loss scaling (train/loss_scaler.hpp); float models only.
    Precision precision = Precision::fp32;
    std::uint64_t seed = 42;
    // Where dropout masks come from (core/rng.hpp). Default: torch on the CPU (the masks of the Hugging Face Trainer
    // run with the same seed), counter on CUDA.
    std::optional<DropoutStream> dropout_stream = std::nullopt;
    std::int64_t eval_steps = 0;            // 0: evaluate at the end of every epoch
    std::string metric_for_best_model{};    // empty: keep the last model
    bool greater_is_better = true;
    std::size_t early_stopping_patience = 0;  // evaluations without improvement before stopping; 0 = never
    bool group_by_length = false;           // HF's length-grouped sampler (data/loader.hpp length_grouped)
    bool resume = false;                    // continue from the checkpoint in output_dir (find_checkpoint), if any
    bool save_checkpoints = true;           // write output_dir/checkpoint after every evaluation
    bool progress = true;
    std::int64_t logging_steps = 10;
    // Where the logging-step, evaluation and end-of-run records go, as HF's report_to: "jsonl" (output_dir/
    // metrics.jsonl) and "tensorboard" (event files in logging_dir, HF's tags). Empty: neither.
    std::vector<std::string> report_to = {"jsonl"};
    // Empty: output_dir/runs/<MMMdd_HH-MM-SS>_<hostname>, HF's default. A resumed run keeps the one it started with.
    std::string logging_dir{};
    // Only for the model card (README.md next to the saved model); empty: not known.
    std::string base_model{};  // the checkpoint fine-tuned: a Hub id ("user/name") or a name
    std::string dataset{};
    std::size_t per_device_eval_batch_size = 8;  // the evaluate callback does the batching
    // Data parallelism: gradients are summed over the processes in buckets of about this many MiB, each started as
    // soon as backward has produced it (HF's ddp_bucket_cap_mb, DDP's default 25). 0: one bucket after backward.
    double ddp_bucket_cap_mb = 25;
};

// The checkpoint a resumed run in `output_dir` starts from: output_dir/checkpoint, or, when a save was interrupted
// between its two renames (Trainer::save_checkpoint), output_dir/checkpoint.old. Only directories that went through
// the final rename of a save count, and these are complete: a half-written checkpoint.tmp is never used, and a
// checkpoint.old is partly deleted only while output_dir/checkpoint exists. nullopt when there is none.
inline std::optional<std::filesystem::path> find_checkpoint(const std::string& output_dir) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(output_dir) / "checkpoint", old = fs::path(output_dir) / "checkpoint.old";
    if (fs::exists(dir)) return fs::exists(dir / "trainer_state.json") ? std::optional(dir) : std::nullopt;
    if (fs::exists(old / "trainer_state.json")) return old;
    return std::nullopt;
}

struct TrainResult {
    std::int64_t updates = 0;
    double train_loss = 0;          // mean loss over the run's batches
    Metrics best_metrics;           // of the saved model
    double seconds = 0;             // wall time of train(), evaluations and saves included (as HF's train_runtime)
    double eval_seconds = 0;        // the part of `seconds` spent evaluating and saving
    double sequences_per_second = 0;  // of all processes together
    // Data parallelism: the time updates waited for the gradient sum after backward (what backward did not hide),
    // and how the gradient was bucketed.
    dist::SyncStats communication{};
    bool stopped_on_nan = false;
    bool stopped_early = false;
    std::int64_t skipped_updates = 0;  // fp16: updates whose gradients overflowed (no AdamW or scheduler step)
};

template <class Model>
class Trainer {
public:
    using T = typename Model::value_type;
    using Device = typename Model::device_type;
    using Evaluate = std::function<Metrics(Model&)>;
    using SaveExtra = std::function<void(const std::string& dir)>;  // e.g. the tokenizer next to the model

    // `comm`: the processes of a data-parallel run (dist/mpi.hpp); all of them run this train() together.
    Trainer(Model& model, TrainingArguments args, const dist::Communicator& comm = dist::single_process())
        : model_(model), args_(std::move(args)), comm_(comm) {
        TINYBERT_CHECK(args_.per_device_train_batch_size > 0 && args_.gradient_accumulation_steps > 0,
                       "Trainer: batch size and gradient accumulation steps must be > 0");
        TINYBERT_CHECK(args_.ddp_bucket_cap_mb >= 0, "Trainer: ddp_bucket_cap_mb must be >= 0");
        TINYBERT_CHECK((std::is_same_v<T, float> || args_.precision == Precision::fp32), "Trainer: precision ",
                       precision_name(args_.precision), " needs a float model (this one is double)");
        for (const auto& r : args_.report_to)
            TINYBERT_CHECK(r == "jsonl" || r == "tensorboard", "Trainer: report_to holds \"jsonl\" and/or "
                                                               "\"tensorboard\", got \"", r, "\"");
    }

    // Called after the gradients of an update are accumulated (and summed over the processes), before clipping.
    std::function<void(Model&)> on_gradients;

    TrainResult train(const std::vector<Feature>& train_features, std::int64_t pad_id, const Evaluate& evaluate,
                      const SaveExtra& save_extra = {}) {
        namespace fs = std::filesystem;
        if constexpr (std::is_same_v<Device, Cpu>) flush_denormals();  // see backend/cpu/eigen_map.hpp
        const PrecisionScope precision(args_.precision);
        LossScaler scaler(args_.precision == Precision::fp16);
        const bool main = comm_.is_main();
        if (main && !args_.output_dir.empty()) detail::create_directories_durable(args_.output_dir);
        const auto world = static_cast<std::size_t>(comm_.size());
        TINYBERT_CHECK(train_features.size() >= world, "Trainer: ", train_features.size(),
                       " training features for ", world, " processes (each needs at least one)");
        const std::size_t batch = args_.per_device_train_batch_size * world;
        DataLoader loader(train_features, pad_id,
                          {.batch_size = batch, .shuffle = true, .seed = args_.seed,
                           .group_by_length = args_.group_by_length,
                           .group_batch_size = batch * args_.gradient_accumulation_steps, .pad_to_multiple_of = 1,
                           .rank = comm_.rank(), .world_size = comm_.size()});
        const std::size_t per_epoch = (loader.num_batches() + args_.gradient_accumulation_steps - 1) /
                                      args_.gradient_accumulation_steps;
        const auto total = static_cast<std::int64_t>(per_epoch * args_.num_train_epochs);
        updates_per_epoch_ = std::max<std::size_t>(per_epoch, 1);
        const std::int64_t warmup =
            args_.warmup_steps > 0 ? args_.warmup_steps : LinearSchedule::warmup_from_ratio(args_.warmup_ratio, total);
        const LinearSchedule schedule(args_.learning_rate, total, warmup);
        AdamW<T, Device> opt(model_, {.lr = args_.learning_rate, .weight_decay = args_.weight_decay});
        model_.generator() = Generator(dist::rank_seed(args_.seed, comm_.rank()), dropout_stream());
        std::optional<dist::GradientBuckets<T, Device>> buckets;
        if (world > 1)
            buckets.emplace(model_, comm_, static_cast<std::size_t>(args_.ddp_bucket_cap_mb * double(1 << 20)));
        const std::optional<fs::path> checkpoint =
            args_.resume && !args_.output_dir.empty() ? find_checkpoint(args_.output_dir) : std::nullopt;
        Reports log{.jsonl = MetricsLog(main && reports_to("jsonl")
                                            ? (fs::path(args_.output_dir) / "metrics.jsonl").string()
                                            : "",
                                        checkpoint.has_value()),
                    .tensorboard = std::nullopt};

        State st;
        if (checkpoint) load_checkpoint(*checkpoint, opt, st, log.jsonl, scaler);
        if (main && reports_to("tensorboard")) {
            if (st.logging_dir.empty())
                st.logging_dir = args_.logging_dir.empty() ? default_logging_dir(args_.output_dir) : args_.logging_dir;
            log.tensorboard.emplace(st.logging_dir);
            if (checkpoint) log.tensorboard->resume_after(st.updates);
        }
        Progress progress(total, main && args_.progress, args_.logging_steps);
        TrainResult result;
        // The batch losses stay on the device until a read-back (take_losses): at logging steps, before evaluations
        // and at the end. Each process adds its loss weighed by its share of the global batch's loss terms; the
        // processes' sums are added at the read-back, which every process reaches at the same update.
        LossSum<Device> batch_losses;
        double loss_sum = 0;
        std::size_t loss_count = 0, sequences = 0;
        const auto take_losses = [&] {
            double sum = batch_losses.take();
            if (world > 1) comm_.all_reduce_sum(&sum, 1);
            st.window_loss += sum, loss_sum += sum;
            return std::isfinite(sum);
        };
        const auto stop_on = [&](const std::string& what, std::int64_t update, std::size_t epoch, std::size_t b) {
            progress.message(what + " at update " + std::to_string(update) + " (epoch " +
                             std::to_string(epoch + 1) + ", batch " + std::to_string(b) +
                             "): training stopped; the last good model in " + args_.output_dir + " is kept");
            result.stopped_on_nan = st.stop = true;
        };
        model_.train();
        model_.zero_grad();
        for (std::size_t epoch = st.epoch; epoch < args_.num_train_epochs && !st.stop; ++epoch) {
            loader.set_epoch(epoch);
            const std::size_t first = epoch == st.epoch ? st.batch : 0;
            if (first == 0) data_loader_started();
            for (std::size_t b = first; b < loader.num_batches() && !st.stop; ++b) {
                const bool last = b + 1 == loader.num_batches();
                const bool update = (b + 1) % args_.gradient_accumulation_steps == 0 || last;
                if (buckets && update) buckets->begin_update();
                // This process's shard: its loss and the number of terms it averages (no rows: an empty shard of a
                // short last batch). The batch loss is the mean over all processes' terms.
                const std::size_t rows = loader.rows(b).size();
                double items = 0;
                Var<T, Device> loss_var;
                if (rows > 0) {
                    const Batch<Cpu> host = loader.batch(b);
                    if (buckets) buckets->add_rows(host.input_ids);
                    loss_var = model_.forward(to_device<Device>(host)).loss;
                    items = static_cast<double>(loss_items(host));
                }
                std::array<double, 2> sums{items, static_cast<double>(rows)};
                if (world > 1) comm_.all_reduce_sum(sums.data(), sums.size());
                if (rows > 0) batch_losses.add(loss_var.value(), world > 1 ? items / sums[0] : 1.0);
                // Gradients of this process's share of the global batch's mean (all of it for one process).
                if (world == 1 && !scaler.enabled()) backward(loss_var);
                else if (items > 0) backward(loss_var, static_cast<T>(items / sums[0] * scaler.scale()));
                else Tape::current().clear();
                ++loss_count, ++st.window_batches;
                sequences += static_cast<std::size_t>(sums[1]);
                if (!update) continue;

                if (buckets) buckets->finish_update();
                const std::size_t accumulated = (b % args_.gradient_accumulation_steps) + 1;
                // One pass: the mean over the accumulated batches, and fp16's unscaling (a power of 2: exact).
                T unscale = T(1) / static_cast<T>(accumulated);
                if (scaler.enabled()) unscale *= static_cast<T>(1.0 / scaler.scale());
                if (unscale != T(1)) scale_gradients(model_, unscale);
                if (on_gradients) on_gradients(model_);
                // The one read-back of an update: a NaN/inf loss makes the gradients NaN/inf, so the norm also
                // guards the update (and every process sees the same, all-reduced gradients).
                const double norm = tinybert::grad_norm(model_);
                // fp16 (GradScaler): an inf/NaN gradient skips the update, and the scheduler does not advance (HF)
                const bool skip = scaler.enabled() && !std::isfinite(norm);
                if (!skip && !std::isfinite(norm)) {
                    stop_on("gradient norm " + std::to_string(norm), st.updates + 1, epoch, b);
                    break;
                }
                const double lr = schedule.lr(st.scheduler_steps);
                const double scale_before = scaler.scale();
                scaler.update(skip);
                if (skip) {
                    ++st.skipped_updates;
                    progress.message("fp16: inf/NaN gradients at update " + std::to_string(st.updates + 1) +
                                     ": update skipped, loss scale " + ModelCard::number(scale_before) + " -> " +
                                     ModelCard::number(scaler.scale()));
                } else {
                    if (args_.max_grad_norm > 0) clip_gradients(model_, norm, args_.max_grad_norm);
                    opt.step(lr);
                    ++st.scheduler_steps;
                }
                model_.zero_grad();
                ++st.updates;
                if (st.updates % args_.logging_steps == 0) {
                    const bool finite = take_losses();
                    st.last_loss = st.window_loss / static_cast<double>(st.window_batches);
                    // HF logs the norm (when it clips); metrics.jsonl keeps its fields, so it goes to TensorBoard only.
                    if (log.tensorboard && (args_.max_grad_norm > 0 || scaler.enabled()))
                        log.tensorboard->add_scalar("train/grad_norm", norm, st.updates);
                    json::Object record{{"step", st.updates}, {"epoch", static_cast<std::int64_t>(epoch + 1)},
                                        {"loss", *st.last_loss}, {"learning_rate", lr}};
                    if (scaler.enabled()) {
                        record.emplace_back("loss_scale", scaler.scale());
                        record.emplace_back("skipped_updates", st.skipped_updates);
                    }
                    log.write(record, st.updates);
                    st.window_loss = 0, st.window_batches = 0;
                    if (!finite) {
                        stop_on("loss " + std::to_string(*st.last_loss), st.updates, epoch, b);
                        break;
                    }
                }
                progress.update(st.updates, epoch, st.last_loss, lr, sequences);
                const bool epoch_end = last;
                if ((args_.eval_steps > 0 && st.updates % args_.eval_steps == 0) ||
                    (args_.eval_steps == 0 && epoch_end)) {
                    if (!take_losses()) {  // the checkpoint keeps the window's loss; a non-finite one is not saved
                        stop_on("loss " + std::to_string(st.window_loss), st.updates, epoch, b);
                        break;
                    }
                    st.epoch = epoch + (last ? 1 : 0);
                    st.batch = last ? 0 : b + 1;
                    const double eval_start = progress.seconds();
                    evaluate_and_save(evaluate, save_extra, opt, scaler, st, log, progress);
                    result.eval_seconds += progress.seconds() - eval_start;
                    model_.train();
                }
            }
        }
        take_losses();
        result.updates = st.updates;
        result.skipped_updates = st.skipped_updates;
        result.train_loss = loss_count ? loss_sum / static_cast<double>(loss_count) : 0.0;
        if (buckets) result.communication = buckets->stats();
        result.seconds = progress.seconds();
        result.sequences_per_second = result.seconds > 0 ? static_cast<double>(sequences) / result.seconds : 0.0;
        result.best_metrics = st.best_metrics;
        result.stopped_early = st.stop && !result.stopped_on_nan;
        log.write(json::Object{{"train_loss", result.train_loss},
                               {"train_runtime", result.seconds},
                               {"eval_runtime", result.eval_seconds},
                               {"train_samples_per_second", result.sequences_per_second}},
                  st.updates);
        if (log.tensorboard) log.tensorboard->sync();
        // The card of the saved model, now with every evaluation of the run (a model is saved at the first one).
        if (main && !args_.output_dir.empty() && !st.history.empty()) write_model_card(st);
        return result;
    }

private:
    struct State {
        std::size_t epoch = 0, batch = 0;  // where the next batch comes from
        std::int64_t updates = 0;
        std::int64_t scheduler_steps = 0;  // = updates, less the skipped ones (fp16)
        std::int64_t skipped_updates = 0;
        double best = std::numeric_limits<double>::quiet_NaN();
        Metrics best_metrics;
        std::size_t bad_evals = 0;
        bool stop = false;
        // The loss summed over the batches since the last logging step; kept in checkpoints, so a resumed run logs
        // the uninterrupted run's losses.
        double window_loss = 0;
        std::int64_t window_batches = 0;
        std::optional<double> last_loss;  // of the last logging step
        std::vector<EvalRecord> history;  // every evaluation, for the model card
        std::string logging_dir{};          // of the TensorBoard event files
    };

    // Where records go (report_to): metrics.jsonl (a MetricsLog with an empty path writes nothing) and TensorBoard,
    // which plots each number of a record at `step`.
    struct Reports {
        MetricsLog jsonl;
        std::optional<EventWriter> tensorboard;

        void write(const json::Object& record, std::int64_t step) {
            jsonl.write(json::Value(record));
            if (tensorboard) tensorboard->add_record(record, step);
        }
    };

    bool reports_to(const std::string& name) const {
        return !args_.output_dir.empty() && std::find(args_.report_to.begin(), args_.report_to.end(), name) !=
                                                args_.report_to.end();
    }

    DropoutStream dropout_stream() const {
        constexpr bool on_cpu = std::is_same_v<Device, Cpu>;
        const DropoutStream s = args_.dropout_stream.value_or(on_cpu ? DropoutStream::torch : DropoutStream::counter);
        TINYBERT_CHECK(on_cpu || s == DropoutStream::counter,
                       "Trainer: DropoutStream::torch draws masks on the host; it is CPU only");
        return s;
    }

    // Each time one of Hugging Face Trainer's data loaders starts (every training epoch and every evaluation), torch's
    // DataLoader draws its base seed, one 64-bit value, from torch's generator (measured with transformers 5.24 and
    // torch 2.15: docs/results.md). The torch dropout stream does the same, so its masks stay the Trainer run's.
    void data_loader_started() {
        if (model_.generator().stream() == DropoutStream::torch) model_.generator().torch().random64();
    }

    void evaluate_and_save(const Evaluate& evaluate, const SaveExtra& save_extra, AdamW<T, Device>& opt,
                           const LossScaler& scaler, State& st, Reports& log, Progress& progress) {
        data_loader_started();
        Metrics m = evaluate ? evaluate(model_) : Metrics{};
        json::Object rec{{"step", st.updates}, {"epoch", static_cast<std::int64_t>(st.epoch)}};
        std::string line = "eval at step " + std::to_string(st.updates) + ":";
        for (const auto& [k, v] : m) {
            rec.emplace_back("eval_" + k, v);
            line += " " + k + " " + std::to_string(v);
        }
        log.write(rec, st.updates);
        progress.message(line);
        st.history.push_back({st.updates, static_cast<double>(st.updates) / static_cast<double>(updates_per_epoch_),
                              st.last_loss, m});

        double value = std::numeric_limits<double>::quiet_NaN();
        for (const auto& [k, v] : m)
            if (k == args_.metric_for_best_model) value = v;
        TINYBERT_CHECK(args_.metric_for_best_model.empty() || !std::isnan(value), "Trainer: metric_for_best_model \"",
                       args_.metric_for_best_model, "\" is not among the evaluation metrics");
        const bool improved = args_.metric_for_best_model.empty() || std::isnan(st.best) ||
                              (args_.greater_is_better ? value > st.best : value < st.best);
        if (improved) {
            st.best = value;
            st.best_metrics = m;
            st.bad_evals = 0;
            if (comm_.is_main() && !args_.output_dir.empty()) {
                model_.save_pretrained(args_.output_dir);
                if (save_extra) save_extra(args_.output_dir);
                write_model_card(st);
            }
        } else if (args_.early_stopping_patience > 0 && ++st.bad_evals >= args_.early_stopping_patience) {
            progress.message("early stopping: " + args_.metric_for_best_model + " did not improve for " +
                             std::to_string(st.bad_evals) + " evaluations");
            st.stop = true;
        }
        if (args_.save_checkpoints && !args_.output_dir.empty()) save_checkpoint(opt, scaler, st, log);
    }

    // output_dir/checkpoint: the current model, the AdamW moments, and trainer_state.json (written last: a directory
    // with it is complete). Every file is durable before the directory is renamed into place, and at every instant
    // find_checkpoint sees a complete checkpoint once the first save has finished:
    //   1. write checkpoint.tmp (a leftover of an interrupted save is removed first; resume never reads it);
    //   2. if checkpoint exists: drop checkpoint.old (not needed while checkpoint exists), rename checkpoint →
    //      checkpoint.old — from here until 3., checkpoint.old is what find_checkpoint returns;
    //      if checkpoint is missing, an earlier save stopped between 2. and 3. and checkpoint.old is the only
    //      complete checkpoint: it is kept;
    //   3. rename checkpoint.tmp → checkpoint, fsync output_dir, and only then drop checkpoint.old.
    // (rename(2) cannot replace a non-empty directory, and renameat2's RENAME_EXCHANGE is Linux-only and missing on
    // some filesystems, so this one sequence serves everywhere and is what tests/train/test_durability.cpp kills.)
    // A failed save (disk full) removes checkpoint.tmp and throws; the previous checkpoint is untouched.
    // Data parallelism: every process calls this (its dropout stream's state goes into the checkpoint); rank 0 writes.
    void save_checkpoint(AdamW<T, Device>& opt, const LossScaler& scaler, const State& st, Reports& log) {
        namespace fs = std::filesystem;
        const std::vector<std::vector<char>> streams = comm_.all_gather(to_chars(rng_state().dump()));
        if (!comm_.is_main()) return;
        const fs::path root(args_.output_dir), dir = root / "checkpoint", tmp = root / "checkpoint.tmp",
                                                old = root / "checkpoint.old";
        const std::int64_t log_bytes = log.jsonl.sync();  // the logs up to this checkpoint are as durable as it
        if (log.tensorboard) log.tensorboard->sync();
        fs::remove_all(tmp);
        detail::crash_point();
        try {
            detail::create_directories_durable(tmp);
            model_.save_pretrained(tmp.string(), /*full_precision=*/true);
            std::vector<NamedTensor> moments;
            for (auto& s : opt.slots()) {
                std::vector<std::int64_t> shape;
                for (std::size_t i = 0; i < s.param.shape().rank(); ++i) shape.push_back(s.param.shape()[i]);
                moments.emplace_back("m." + s.name, CheckpointTensor::from(s.m.to_vector(), shape));
                moments.emplace_back("v." + s.name, CheckpointTensor::from(s.v.to_vector(), shape));
            }
            write_safetensors((tmp / "optimizer.safetensors").string(), moments);
            json::Object state{{"epoch", static_cast<std::int64_t>(st.epoch)},
                               {"batch", static_cast<std::int64_t>(st.batch)},
                               {"updates", st.updates},
                               {"optimizer_steps", opt.steps()},
                               {"scheduler_steps", st.scheduler_steps},
                               {"skipped_updates", st.skipped_updates},
                               {"world_size", static_cast<std::int64_t>(comm_.size())},
                               {"rng_ranks", rank_streams(streams)},
                               {"best", std::isnan(st.best) ? json::Value() : json::Value(st.best)},
                               {"bad_evals", static_cast<std::int64_t>(st.bad_evals)},
                               {"best_metrics", metrics_json(st.best_metrics)},
                               {"metrics_log_bytes", log_bytes},
                               {"window_loss", st.window_loss},
                               {"window_batches", st.window_batches},
                               {"last_loss", st.last_loss ? json::Value(*st.last_loss) : json::Value()},
                               {"log_history", history_json(st.history)},
                               {"logging_dir", st.logging_dir}};
            if (scaler.enabled()) {  // fp16: GradScaler's state (HF's scaler.pt)
                state.emplace_back("loss_scale", scaler.scale());
                state.emplace_back("loss_scale_growth_tracker", scaler.growth_tracker());
            }
            const json::Value stream = rng_state();  // rank 0's (one process: the only one)
            for (const auto& field : stream.as_object()) state.push_back(field);
            const std::string text = json::Value(std::move(state)).dump(2) + "\n";
            detail::AtomicWriter out((tmp / "trainer_state.json").string());
            out.write(text.data(), text.size());
            out.commit();
        } catch (...) {
            std::error_code ignored;  // the error being thrown is the one to report
            fs::remove_all(tmp, ignored);
            throw;
        }
        if (fs::exists(dir)) {
            fs::remove_all(old);
            detail::crash_point();
            detail::rename_durable(dir, old);
        }
        detail::rename_durable(tmp, dir);
        fs::remove_all(old);
        detail::crash_point();
    }

    void load_checkpoint(const std::filesystem::path& dir, AdamW<T, Device>& opt, State& st, MetricsLog& log,
                         LossScaler& scaler) {
        model_.load_weights(load_state_dict(dir.string()));
        const SafetensorsFile moments((dir / "optimizer.safetensors").string());
        for (auto& s : opt.slots()) {
            s.m = Tensor<T, Cpu>::from_vector(s.param.shape(), moments.read<T>("m." + s.name)).template to<Device>();
            s.v = Tensor<T, Cpu>::from_vector(s.param.shape(), moments.read<T>("v." + s.name)).template to<Device>();
        }
        const json::Value state = json::parse_file((dir / "trainer_state.json").string());
        st.epoch = static_cast<std::size_t>(state.at("epoch").as_int());
        st.batch = static_cast<std::size_t>(state.at("batch").as_int());
        st.updates = state.at("updates").as_int();
        opt.set_steps(state.at("optimizer_steps").as_int());
        // Checkpoints written before fp16 training have none of these: no update was ever skipped.
        const json::Value* scheduler_steps = state.find("scheduler_steps");
        st.scheduler_steps = scheduler_steps ? scheduler_steps->as_int() : st.updates;
        if (const json::Value* skipped = state.find("skipped_updates")) st.skipped_updates = skipped->as_int();
        if (const json::Value* loss_scale = state.find("loss_scale"))
            scaler.restore(loss_scale->as_double(), state.at("loss_scale_growth_tracker").as_int());
        const json::Value* world = state.find("world_size");  // absent: written by one process
        const std::int64_t saved_world = world ? world->as_int() : 1;
        TINYBERT_CHECK(saved_world == comm_.size(), (dir / "trainer_state.json").string(), ": written by a run of ",
                       saved_world, " processes; resume it with the same number (mpirun -np ", saved_world,
                       "), this run has ", comm_.size());
        const json::Value& stream = comm_.size() > 1 ? state.at("rng_ranks").as_array().at(
                                                           static_cast<std::size_t>(comm_.rank()))
                                                     : state;
        model_.generator().set_state(static_cast<std::uint64_t>(stream.at("rng_seed").as_int()),
                                     static_cast<std::uint64_t>(stream.at("rng_offset").as_int()));
        if (model_.generator().stream() == DropoutStream::torch) {
            const json::Value* torch_state = stream.find("rng_torch_state");
            TINYBERT_CHECK(torch_state != nullptr, (dir / "trainer_state.json").string(),
                           ": no rng_torch_state (written before the torch dropout stream existed); resume it with "
                           "dropout_stream = DropoutStream::counter (--dropout-stream counter)");
            model_.generator().torch().set_state(torch_state->as_string());
        }
        if (!state.at("best").is_null()) st.best = state.at("best").as_double();
        st.bad_evals = static_cast<std::size_t>(state.at("bad_evals").as_int());
        for (const auto& [k, v] : state.at("best_metrics").as_object()) st.best_metrics.emplace_back(k, v.as_double());
        // What the interrupted run logged after this checkpoint is logged again by this run.
        if (const json::Value* bytes = state.find("metrics_log_bytes")) log.truncate(bytes->as_int());
        // Checkpoints written before the model card, TensorBoard and the saved loss window have none of these.
        if (const json::Value* loss = state.find("last_loss"); loss && !loss->is_null())
            st.last_loss = loss->as_double();
        if (const json::Value* batches = state.find("window_batches")) {
            st.window_batches = batches->as_int();
            st.window_loss = state.at("window_loss").as_double();
        }
        if (const json::Value* history = state.find("log_history"))
            for (const json::Value& e : history->as_array()) {
                EvalRecord r{e.at("step").as_int(), e.at("epoch").as_double(), std::nullopt, {}};
                if (!e.at("training_loss").is_null()) r.training_loss = e.at("training_loss").as_double();
                for (const auto& [k, v] : e.at("metrics").as_object()) r.metrics.emplace_back(k, v.as_double());
                st.history.push_back(std::move(r));
            }
        if (const json::Value* logdir = state.find("logging_dir")) st.logging_dir = logdir->as_string();
    }

    // This process's dropout stream, as a checkpoint keeps it.
    json::Value rng_state() const {
        return json::Object{{"rng_seed", static_cast<std::int64_t>(model_.generator().seed())},
                            {"rng_offset", static_cast<std::int64_t>(model_.generator().offset())},
                            {"rng_torch_state", model_.generator().torch().state()}};
    }
    static std::vector<char> to_chars(const std::string& s) { return {s.begin(), s.end()}; }
    // Every process's stream (rng_state), in rank order; empty for one process (its stream is the top-level one).
    json::Value rank_streams(const std::vector<std::vector<char>>& streams) const {
        json::Array a;
        if (streams.size() > 1)
            for (const auto& bytes : streams) a.push_back(json::parse(std::string(bytes.begin(), bytes.end())));
        return json::Value(std::move(a));
    }

    static json::Value history_json(const std::vector<EvalRecord>& history) {
        json::Array a;
        for (const auto& r : history)
            a.emplace_back(
                json::Object{{"step", r.step},
                             {"epoch", r.epoch},
                             {"training_loss", r.training_loss ? json::Value(*r.training_loss) : json::Value()},
                             {"metrics", metrics_json(r.metrics)}});
        return json::Value(std::move(a));
    }

    // output_dir/README.md (model_card.hpp) for the model saved there, whose metrics are st.best_metrics.
    void write_model_card(const State& st) const {
        namespace fs = std::filesystem;
        const fs::path dir = fs::path(args_.output_dir).lexically_normal();
        const json::Value config = json::parse_file((dir / "config.json").string());
        const json::Value* arch = config.find("architectures");
        const AdamWOptions adamw;
        ModelCard card;
        card.model_name = (dir.has_filename() ? dir : dir.parent_path()).filename().string();
        card.base_model = args_.base_model;
        card.dataset = args_.dataset;
        if (arch && !arch->as_array().empty()) card.task = hub_task(arch->as_array()[0].as_string());
        card.results = st.best_metrics;
        card.history = st.history;
        const auto add = [&](std::string name, std::string value) {
            card.hyperparameters.emplace_back(std::move(name), std::move(value));
        };
        const auto world = static_cast<std::size_t>(comm_.size());
        const std::size_t total_batch = args_.per_device_train_batch_size * world * args_.gradient_accumulation_steps,
                          total_eval = args_.per_device_eval_batch_size * world;
        add("learning_rate", ModelCard::number(args_.learning_rate));
        add("train_batch_size", std::to_string(args_.per_device_train_batch_size));
        add("eval_batch_size", std::to_string(args_.per_device_eval_batch_size));
        add("seed", std::to_string(args_.seed));
        // As HF's card: a distributed run is "multi-GPU" (its name for every DDP run, CPU processes too); the totals
        // are listed only when they differ from the per-device sizes.
        if (world > 1) {
            add("distributed_type", "multi-GPU");
            add("num_devices", std::to_string(world));
        }
        if (args_.gradient_accumulation_steps > 1)
            add("gradient_accumulation_steps", std::to_string(args_.gradient_accumulation_steps));
        if (total_batch != args_.per_device_train_batch_size)
            add("total_train_batch_size", std::to_string(total_batch));
        if (total_eval != args_.per_device_eval_batch_size) add("total_eval_batch_size", std::to_string(total_eval));
        add("optimizer", "adamw with betas=(" + ModelCard::number(adamw.beta1) + "," + ModelCard::number(adamw.beta2) +
                             ") and epsilon=" + ModelCard::number(adamw.eps) + " and weight_decay=" +
                             ModelCard::number(args_.weight_decay));
        add("lr_scheduler_type", "linear");
        if (args_.warmup_steps > 0) add("lr_scheduler_warmup_steps", std::to_string(args_.warmup_steps));
        else if (args_.warmup_ratio > 0) add("lr_scheduler_warmup_ratio", ModelCard::number(args_.warmup_ratio));
        add("num_epochs", std::to_string(args_.num_train_epochs));
        if (args_.precision == Precision::fp16) add("mixed_precision_training", "Native AMP");  // HF: fp16 only
        const std::string text = card.render();
        detail::AtomicWriter out((dir / "README.md").string());
        out.write(text.data(), text.size());
        out.commit();
    }

    Model& model_;
    TrainingArguments args_;
    const dist::Communicator& comm_;
    std::size_t updates_per_epoch_ = 1;  // of this train() call, for the model card's fractional epochs
};

}  // namespace tinybert
