// The real all-MiniLM-L6-v2 checkpoint against transformers' BertModel (tools/make_minilm_reference.py): last hidden
// states and pooler output on real sentences, in f32 and f64. Skips when the checkpoint is absent
// (scripts/fetch_minilm.sh puts it in .cache/, or set TINYBERT_MINILM_DIR).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "tinybert/nn/bert.hpp"

using namespace tinybert;

namespace {

std::string minilm_dir() {
    const char* env = std::getenv("TINYBERT_MINILM_DIR");
    const std::string dir = env ? env : TINYBERT_MINILM_DEFAULT_DIR;
    return std::filesystem::exists(dir + "/model.safetensors") ? dir : "";
}

template <class T>
double max_abs_diff(const std::vector<T>& ours, const std::vector<double>& ref) {
    REQUIRE(ours.size() == ref.size());
    double m = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(ours[i]) - ref[i]));
    return m;
}

template <class T>
void compare_minilm(const std::string& dir, const char* suffix, double tol) {
    const SafetensorsFile ref(std::string(TINYBERT_TEST_DATA_DIR) + "/minilm/reference.safetensors");
    const auto ints = [&](const char* name) {
        const CheckpointTensor& t = ref.tensor(name);
        return Tensor<std::int64_t>::from_vector({t.shape()[0], t.shape()[1]}, t.to<std::int64_t>());
    };
    using Model = Bert<Encoder<6>, NoHead, Cpu, T>;
    Model model = Model::from_pretrained(dir);
    CHECK(model.load_report().missing.empty());
    model.eval();
    NoGradGuard no_grad;
    const auto out = model.forward({ints("input_ids"), ints("attention_mask"), ints("token_type_ids"), {}, {}, {}});
    const double hidden = max_abs_diff(out.last_hidden_state.value().to_vector(),
                                       ref.read<double>(std::string("last_hidden_state_") + suffix));
    const double pooled =
        max_abs_diff(out.pooler_output.value().to_vector(), ref.read<double>(std::string("pooler_output_") + suffix));
    std::printf("all-MiniLM-L6-v2 %s: max |Δ| last_hidden_state %.3e, pooler_output %.3e\n", suffix, hidden, pooled);
    CHECK(hidden < tol);
    CHECK(pooled < tol);
}

}  // namespace

TEST_CASE("real all-MiniLM-L6-v2 matches transformers (f32)", "[nn][minilm]") {
    const std::string dir = minilm_dir();
    if (dir.empty()) {
        WARN("all-MiniLM-L6-v2 not found (run scripts/fetch_minilm.sh): skipped");
        return;
    }
    compare_minilm<float>(dir, "f32", 1e-4);
}

TEST_CASE("real all-MiniLM-L6-v2 matches transformers (f64)", "[nn][minilm]") {
    const std::string dir = minilm_dir();
    if (dir.empty()) {
        WARN("all-MiniLM-L6-v2 not found (run scripts/fetch_minilm.sh): skipped");
        return;
    }
    compare_minilm<double>(dir, "f64", 1e-10);
}
