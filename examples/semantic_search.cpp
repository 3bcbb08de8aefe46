// Semantic search with sentence embeddings: embed a small corpus and some queries with all-MiniLM-L6-v2 (as
// sentence-transformers does: mean pooling, L2-normalised), rank the corpus by cosine similarity, print the top hits.
//   example_semantic_search [MODEL_DIR] [TOP_K]
// MODEL_DIR defaults to .cache/all-MiniLM-L6-v2 (bash scripts/fetch_minilm.sh puts it there).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <string>
#include <tinybert/tinybert.hpp>
#include <vector>

namespace tb = tinybert;

int main(int argc, char** argv) try {
    const std::string model_dir = argc > 1 ? argv[1] : ".cache/all-MiniLM-L6-v2";
    const std::size_t top_k = argc > 2 ? std::stoul(argv[2]) : 3;
    if (!std::filesystem::exists(std::filesystem::path(model_dir) / "config.json")) {
        std::fprintf(
            stderr,
            "semantic_search: no model in '%s' (config.json not found).\n"
            "Fetch all-MiniLM-L6-v2 with `bash scripts/fetch_minilm.sh` (it goes to .cache/all-MiniLM-L6-v2),\n"
            "or pass a sentence-transformers or BERT folder: example_semantic_search MODEL_DIR [TOP_K]\n",
            model_dir.c_str());
        return 2;
    }

    const std::vector<std::string> corpus = {
        "A man is eating food.",
        "A man is eating a piece of bread.",
        "The girl is carrying a baby.",
        "A man is riding a horse.",
        "A woman is playing violin.",
        "Two men pushed carts through the woods.",
        "A man is riding a white horse on an enclosed ground.",
        "A monkey is playing drums.",
        "A cheetah is running behind its prey.",
        "The new movie is awesome.",
        "The stock market fell sharply after the announcement.",
        "Paris is the capital of France.",
    };
    const std::vector<std::string> queries = {
        "A man is eating pasta.",
        "Someone in a gorilla costume is playing a set of drums.",
        "A cheetah chases prey on across a field.",
        "Which city is France's capital?",
    };

    // 1. Load: the tokenizer and the bare encoder (no head); the folder's sentence-transformers settings, if any.
    using Model = tb::Bert<tb::Encoder<tb::dynamic>, tb::NoHead>;
    const tb::Tokenizer tok = tb::Tokenizer::from_pretrained(model_dir);
    Model model = Model::from_pretrained(model_dir);
    model.eval();
    tb::EmbedOptions options = tb::EmbedOptions::from_pretrained(model_dir);
    options.normalize = true;  // unit vectors: cosine similarity is then a dot product

    // 2. Embed: (N,H) row-major matrices, one row per text.
    const tb::EmbeddingMatrix docs = tb::encode(model, tok, corpus, options);
    const tb::EmbeddingMatrix qs = tb::encode(model, tok, queries, options);
    std::printf("%zu documents and %zu queries embedded in %zu dimensions (%s pooling)\n\n", docs.rows, qs.rows,
                docs.cols, tb::pooling_name(options.pooling));

    // 3. Rank the corpus for each query by cosine similarity.
    for (std::size_t q = 0; q < qs.rows; ++q) {
        std::vector<float> score(docs.rows);
        for (std::size_t d = 0; d < docs.rows; ++d) {
            const auto a = qs.row(q), b = docs.row(d);
            score[d] = std::inner_product(a.begin(), a.end(), b.begin(), 0.0f);
        }
        std::vector<std::size_t> order(docs.rows);
        std::iota(order.begin(), order.end(), std::size_t{0});
        const std::size_t k = std::min(top_k, order.size());
        std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                          [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
        std::printf("query: %s\n", queries[q].c_str());
        for (std::size_t i = 0; i < k; ++i)
            std::printf("  %.4f  %s\n", static_cast<double>(score[order[i]]), corpus[order[i]].c_str());
        std::printf("\n");
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
}
