// Data parallelism (train/trainer.hpp + dist/), run by ctest under `mpirun -np 2` (mpi:data_parallel). The reference
// is one process: each case trains the same tiny checkpoint (2 layers, hidden 16, dropout 0) data-parallel on both
// ranks with per-device batch B, and alone (dist::single_process(), on every rank) with batch 2B; the weights must
// agree to summation noise — ≤ 1e-10 in double, ≤ 1e-5 in float — and so must the losses and the sharded evaluation.
// Batches are uneven on purpose (21 features: the last global batch splits 3 + 2), and NER batches differ in
// labelled tokens, which the per-process loss weighting must get exactly right; QA batches of different lengths
// must pad to the global batch's length (QA's softmax runs over the padded positions, as in transformers).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tinybert/dist/mpi.hpp"
#include "tinybert/nn/bert.hpp"
#include "tinybert/tasks/classification.hpp"
#include "tinybert/tasks/ner.hpp"
#include "tinybert/train/trainer.hpp"
#include "train/tiny_run.hpp"

using namespace tinybert;
using test::weights;
namespace fs = std::filesystem;

namespace {

const dist::Communicator& world() {
    // A failed REQUIRE on one rank leaves the other in a collective: the timeout ends the job instead of a hang.
    static const dist::MpiCommunicator comm(dist::MpiOptions{.timeout_seconds = 120});
    return comm;
}

std::string fixture(const std::string& head) { return std::string(TINYBERT_PARITY_DIR) + "/" + head; }

// test::make_features(n) (4–7 tokens, class labels 0..2), with token labels 0..2 for NER where every third or fifth
// token is -100, so that batches have different numbers of loss terms.
std::vector<Feature> make_features(std::size_t n, bool token_labels) {
    std::vector<Feature> fs = test::make_features(n);
    if (token_labels)
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t k = 0; k < fs[i].size(); ++k)
                fs[i].token_labels.push_back(k % (i % 2 ? 3 : 5) == 0 ? -100 : static_cast<std::int64_t>((i + k) % 3));
    return fs;
}

double max_diff(const std::vector<double>& a, const std::vector<double>& b) {
    REQUIRE(a.size() == b.size());
    double d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
    return d;
}

TrainingArguments args(std::size_t batch, std::size_t accumulation, double bucket_mb) {
    TrainingArguments a;
    a.num_train_epochs = 2;
    a.learning_rate = 1e-3;
    a.per_device_train_batch_size = batch;
    a.gradient_accumulation_steps = accumulation;
    a.warmup_ratio = 0.25;
    a.weight_decay = 0.01;
    a.progress = false;
    a.report_to = {};
    a.ddp_bucket_cap_mb = bucket_mb;
    return a;
}

// Trains `head`'s fixture data-parallel (per-device batch B) and alone (batch 2B); returns max |Δ| of the weights.
template <class Model>
double parallel_vs_one(const std::string& head, const std::vector<Feature>& features, std::size_t batch,
                       std::size_t accumulation, double bucket_mb, dist::SyncStats* stats = nullptr) {
    Model parallel = Model::from_pretrained(fixture(head)), alone = Model::from_pretrained(fixture(head));
    const TrainResult p = Trainer<Model>(parallel, args(batch, accumulation, bucket_mb), world()).train(features, 0, {});
    const TrainResult a =
        Trainer<Model>(alone, args(batch * 2, accumulation, bucket_mb), dist::single_process()).train(features, 0, {});
    CHECK(p.updates == a.updates);
    CHECK(std::fabs(p.train_loss - a.train_loss) <= 1e-6 * std::max(1.0, std::fabs(a.train_loss)));
    if (stats) *stats = p.communication;
    return max_diff(weights(parallel), weights(alone));
}

}  // namespace

TEST_CASE("the test runs on two processes", "[dist]") {
    set_num_threads(1);  // two ranks share the cores of the CI machine
    REQUIRE(world().size() == 2);
}

TEST_CASE("classification, double: 2 processes x batch 4 = 1 process x batch 8, uneven last batch", "[dist]") {
    using Model = Bert<Encoder<2>, SequenceClassification, Cpu, double>;
    dist::SyncStats stats;
    // 1 KiB buckets: the gradient goes out in many buckets, most of them during backward
    const double d = parallel_vs_one<Model>("sequence_classification", make_features(21, false), 4, 1, 1.0 / 1024, &stats);
    CHECK(d <= 1e-10);
    CHECK(stats.buckets > 4);
    CHECK(stats.overlapped_buckets > 0);
    // the word-embedding gradient went by rows: the ids the batches read (5..44 and padding 0), not all 50
    CHECK(stats.embedding_rows > 0);
    CHECK(stats.embedding_rows <= 41 * static_cast<std::size_t>(stats.updates));
}

TEST_CASE("classification, double, gradient accumulation 2 and one bucket", "[dist]") {
    using Model = Bert<Encoder<2>, SequenceClassification, Cpu, double>;
    CHECK(parallel_vs_one<Model>("sequence_classification", make_features(21, false), 3, 2, 0) <= 1e-10);
}

TEST_CASE("classification, float: within float summation noise", "[dist]") {
    using Model = Bert<Encoder<2>, SequenceClassification, Cpu, float>;
    CHECK(parallel_vs_one<Model>("sequence_classification", make_features(21, false), 4, 1, 25) <= 1e-5);
}

TEST_CASE("token classification, double: shards with different numbers of labelled tokens", "[dist]") {
    using Model = Bert<Encoder<2>, TokenClassification, Cpu, double>;
    CHECK(parallel_vs_one<Model>("token_classification", make_features(21, true), 4, 1, 1.0 / 1024) <= 1e-10);
}

TEST_CASE("question answering, double", "[dist]") {
    using Model = Bert<Encoder<2>, QuestionAnswering, Cpu, double>;
    auto features = make_features(21, false);  // lengths 4–7: the shards of a batch differ in length
    for (std::size_t i = 0; i < features.size(); ++i) {
        features[i].start_position = static_cast<std::int64_t>(1 + i % 2);
        features[i].end_position = features[i].start_position + 1;
    }
    CHECK(parallel_vs_one<Model>("question_answering", features, 4, 1, 1.0 / 1024) <= 1e-10);
}

TEST_CASE("sharded evaluation gathers exactly the one-process outputs", "[dist]") {
    using Cls = Bert<Encoder<2>, SequenceClassification, Cpu, double>;
    Cls cls = Cls::from_pretrained(fixture("sequence_classification"));
    const auto features = make_features(21, false);
    CHECK(classification_logits(cls, features, 0, 4, world()) == classification_logits(cls, features, 0, 4));
    CHECK(evaluate_classification(cls, features, 0, 4, 0.5, world()) == evaluate_classification(cls, features, 0, 4));

    using Ner = Bert<Encoder<2>, TokenClassification, Cpu, double>;
    Ner ner = Ner::from_pretrained(fixture("token_classification"));
    const auto tagged = make_features(21, true);
    CHECK(token_logits(ner, tagged, 0, 3, world()) == token_logits(ner, tagged, 0, 3));
}

TEST_CASE("resume of a 2-process run with dropout: the uninterrupted run's weights, and a clear error for 1 process",
          "[dist]") {
    // The fixture with dropout 0.1: each rank's own dropout stream must come back from the checkpoint.
    using Model = Bert<Encoder<2>, SequenceClassification, Cpu, double>;
    const fs::path base = fs::temp_directory_path() / "tinybert_test_dist";
    const fs::path model_dir = base / "model", straight = base / "straight", resumed = base / "resumed";
    if (world().is_main()) {
        fs::remove_all(base);
        fs::create_directories(model_dir);
        fs::copy(fixture("sequence_classification") + "/model.safetensors", model_dir);
        json::Object config;
        const json::Value original = json::parse_file(fixture("sequence_classification") + "/config.json");
        for (const auto& [k, v] : original.as_object())
            config.emplace_back(k, k == "hidden_dropout_prob" || k == "attention_probs_dropout_prob" ? json::Value(0.1) : v);
        std::ofstream(model_dir / "config.json") << json::Value(std::move(config)).dump(2);
    }
    world().barrier();
    const auto features = make_features(16, false);  // 2 global batches of 8 per epoch
    auto run_args = [&](const fs::path& out) {
        TrainingArguments a = args(4, 1, 1.0 / 1024);
        a.num_train_epochs = 3;
        a.output_dir = out.string();
        a.eval_steps = 1;
        return a;
    };
    Model a = Model::from_pretrained(model_dir.string());
    Trainer<Model>(a, run_args(straight), world()).train(features, 0, {});
    if (world().is_main()) {  // the model card says what HF's says for a run on 2 devices
        std::ifstream in(straight / "README.md");
        const std::string card((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CHECK_THAT(card, Catch::Contains("- distributed_type: multi-GPU\n- num_devices: 2\n"));
        CHECK_THAT(card, Catch::Contains("- total_train_batch_size: 8\n- total_eval_batch_size: 16\n"));
    }

    struct Crash {};
    Model b = Model::from_pretrained(model_dir.string());
    Trainer<Model> crashing(b, run_args(resumed), world());
    std::int64_t updates = 0;
    crashing.on_gradients = [&](Model&) {
        if (++updates == 4) throw Crash{};  // both ranks, in epoch 2, after the checkpoint of update 3
    };
    CHECK_THROWS_AS(crashing.train(features, 0, {}), Crash);
    world().barrier();  // rank 0 may still be writing update 3's checkpoint when rank 1 gets here

    Model c = Model::from_pretrained(model_dir.string());
    TrainingArguments resume = run_args(resumed);
    resume.resume = true;
    const TrainResult r = Trainer<Model>(c, resume, world()).train(features, 0, {});
    CHECK(r.updates == 6);
    CHECK(max_diff(weights(a), weights(c)) == 0.0);  // same ranks, same order of sums: bit for bit

    if (world().is_main()) {
        Model d = Model::from_pretrained(model_dir.string());
        CHECK_THROWS_WITH(Trainer<Model>(d, resume, dist::single_process()).train(features, 0, {}),
                          Catch::Contains("written by a run of 2 processes"));
    }
    world().barrier();
}
