// The real `tinybert serve` binary on loopback, on the real all-MiniLM-L6-v2 with freshly initialised task heads
// (random heads: the predictions mean nothing, but they must be the program's): classification, ner and qa answers
// against `tinybert predict` on the same inputs (the same binary, so the same floats), embed answers against the
// sentence-transformers reference and the library; error answers; a stalled client; 16 concurrent clients; SIGTERM.
// Skips (exit 4) without the checkpoint (scripts/fetch_minilm.sh, or TINYBERT_MINILM_DIR).
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "serve/server_process.hpp"
#include "serve/minilm.hpp"
#include "tinybert/tinybert.hpp"

// after Eigen: httplib.h pulls in <resolv.h>, whose `_res` macro breaks Eigen headers included after it
#include <httplib.h>

using namespace tinybert;
using tinybert::testing::minilm_or_skip;
using tinybert::testing::ServerProcess;

namespace {

// MiniLM with a new `Head` (seeded init) and its tokenizer, saved in a fresh folder: a checkpoint of that task.
template <class Head>
std::string task_checkpoint(const std::string& name, const std::vector<std::string>& labels) {
    const std::string minilm = minilm_or_skip();
    // one folder per test process (ctest runs each TEST_CASE as its own process), removed when the process ends
    static const struct Scratch {
        std::filesystem::path path =
            std::filesystem::temp_directory_path() / ("tinybert_serve_" + std::to_string(::getpid()));
        ~Scratch() {
            std::error_code ignored;
            std::filesystem::remove_all(path, ignored);
        }
    } scratch;
    const auto dir = scratch.path / name;
    std::filesystem::remove_all(dir);
    Bert<Encoder<dynamic>, Head>::from_pretrained(minilm, {.labels = labels}).save_pretrained(dir.string());
    Tokenizer::from_pretrained(minilm).save_pretrained(dir.string());
    return dir.string();
}

// A client on the server's loopback port that waits as long as a forward may take under sanitizers on a loaded
// 2-core machine (httplib's default read timeout of 5 s is shorter than two QA inputs take under ASan).
struct Client : httplib::Client {
    explicit Client(const ServerProcess& server) : httplib::Client("127.0.0.1", server.port()) { set_read_timeout(300, 0); }
};

json::Value post(httplib::Client& c, const std::string& path, const std::string& body, int expect_status) {
    const auto res = c.Post(path.c_str(), body, "application/json");
    REQUIRE(res);
    INFO(path << " " << body << " -> " << res->status << " " << res->body);
    REQUIRE(res->status == expect_status);
    CHECK(res->get_header_value("Content-Type") == "application/json");
    return json::parse(res->body, "response");
}

std::string quoted(const std::string& s) { return json::Value(s).dump(); }

// `tinybert predict` (the same binary as the server, so the same kernels) on JSONL records: one result per record.
std::vector<json::Value> predict(const std::string& task, const std::string& dir, const std::vector<std::string>& jsonl) {
    const auto in = std::filesystem::path(dir) / "predict_input.jsonl";
    {
        std::ofstream f(in);
        for (const auto& line : jsonl) f << line << "\n";
    }
    const std::string cmd = std::string(TINYBERT_CLI) + " predict --task " + task + " --model " + dir + " < " + in.string();
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    REQUIRE(::pclose(p) == 0);
    std::vector<json::Value> results;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) results.push_back(json::parse(line, "predict"));
    REQUIRE(results.size() == jsonl.size());
    return results;
}

std::string text_record(const std::string& t) { return R"({"text": )" + quoted(t) + "}"; }

const std::vector<std::string> texts{
    "A wonderful, moving film with a superb cast.",
    "This movie was a complete waste of two hours; the plot made no sense and the acting was wooden.",
    "Maria Lopez flew from Lisbon to Berlin to meet the board of Siemens.",
    "Okay."};

}  // namespace

TEST_CASE("classification /predict answers what tinybert predict gives and /health and /info describe the model",
          "[serve][e2e]") {
    const std::string dir = task_checkpoint<SequenceClassification>("cls", {"neg", "pos"});
    ServerProcess server(TINYBERT_CLI, {"--model", dir});  // task from config.json
    Client c(server);

    const auto health = c.Get("/health");
    REQUIRE(health);
    CHECK(health->status == 200);
    CHECK(json::parse(health->body, "health").at("task").as_string() == "classification");
    const json::Value info = json::parse(c.Get("/info")->body, "info");
    CHECK(info.at("labels").dump() == R"(["neg","pos"])");
    CHECK(info.at("max_length").as_int() == 128);

    std::vector<std::string> records;
    for (const auto& t : texts) records.push_back(text_record(t));
    const auto want = predict("classification", dir, records);
    for (std::size_t i = 0; i < texts.size(); ++i) {  // one input: [{"label","score"}], predict's very numbers
        const json::Value r = post(c, "/predict", R"({"inputs": )" + quoted(texts[i]) + "}", 200);
        REQUIRE(r.as_array().size() == 1);
        CHECK(r.as_array()[0].at("label").as_string() == want[i].at("label").as_string());
        CHECK(r.as_array()[0].at("score").as_double() == want[i].at("score").as_double());
    }
    // a list: one [{"label","score"}] per input, in order (one padded forward: equal to rounding)
    json::Array list;
    for (const auto& t : texts) list.emplace_back(t);
    const json::Value r = post(c, "/predict", json::Value(json::Object{{"inputs", json::Value(list)}}).dump(), 200);
    REQUIRE(r.as_array().size() == texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) {
        CHECK(r.as_array()[i].as_array()[0].at("label").as_string() == want[i].at("label").as_string());
        CHECK(r.as_array()[i].as_array()[0].at("score").as_double() == Approx(want[i].at("score").as_double()).margin(1e-5));
    }
    CHECK(server.stop() == 0);
}

TEST_CASE("ner /predict answers what tinybert predict gives for text and for words", "[serve][e2e]") {
    const std::string dir = task_checkpoint<TokenClassification>("ner", {"O", "B-PER", "I-PER", "B-LOC", "I-LOC"});
    ServerProcess server(TINYBERT_CLI, {"--model", dir, "--task", "ner"});
    Client c(server);
    const std::string words = R"(["Maria", "Lopez", "visited", "Lisbon", "."])";
    std::vector<std::string> records;
    for (const auto& t : texts) records.push_back(text_record(t));
    records.push_back(R"({"words": )" + words + "}");
    const auto want = predict("ner", dir, records);
    std::size_t entities = 0;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        entities += want[i].at("entities").as_array().size();
        CHECK(post(c, "/predict", R"({"inputs": )" + quoted(texts[i]) + "}", 200).dump() ==
              want[i].at("entities").dump());
    }
    CHECK(entities > 0);  // a random head tags something, so the comparison above is not of empty lists
    CHECK(post(c, "/predict", R"({"words": )" + words + "}", 200).dump() == want.back().at("entities").dump());
    const json::Value two = post(c, "/predict", R"({"inputs": [)" + quoted(texts[0]) + "," + quoted(texts[2]) + "]}", 200);
    REQUIRE(two.as_array().size() == 2);
    CHECK(two.as_array()[1].dump() == want[2].at("entities").dump());  // ner inputs run one by one: same floats
    post(c, "/predict", R"({"words": ["a", 3]})", 422);
}

TEST_CASE("qa /predict answers what tinybert predict gives in both request shapes", "[serve][e2e]") {
    const std::string dir = task_checkpoint<QuestionAnswering>("qa", {});
    ServerProcess server(TINYBERT_CLI, {"--model", dir});
    Client c(server);
    const std::string q = "Who built the tower?", ctx = "The tower was built by Anna Berg in 1901, next to the old mill.";
    const std::string pair = R"({"question": )" + quoted(q) + R"(, "context": )" + quoted(ctx) + "}";
    json::Object want = predict("qa", dir, {pair}).front().as_object();
    want.erase(want.begin(), want.begin() + 2);  // predict copies the input fields first: keep answer, start, end, score
    const std::string expected = json::Value(want).dump();
    CHECK(post(c, "/predict", pair, 200).dump() == expected);
    CHECK(post(c, "/predict", R"({"inputs": )" + pair + "}", 200).dump() == expected);
    const json::Value two = post(c, "/predict", R"({"inputs": [)" + pair + "," + pair + "]}", 200);
    REQUIRE(two.as_array().size() == 2);
    CHECK(two.as_array()[1].dump() == expected);
    post(c, "/predict", R"({"question": "Who?"})", 422);
    post(c, "/predict", R"({"inputs": {"question": 1, "context": "x"}})", 422);
}

TEST_CASE("embed /embed gives sentence-transformers' embeddings", "[serve][e2e]") {
    const std::string minilm = minilm_or_skip();
    ServerProcess server(TINYBERT_CLI, {"--model", minilm});  // BertModel: embed
    Client c(server);
    const json::Value ref = json::parse_file(std::string(TINYBERT_TEST_DATA_DIR) + "/embed/reference.json");
    const json::Array& sentences = ref.at("sentences").as_array();
    using Model = Bert<Encoder<dynamic>, NoHead>;
    Model model = Model::from_pretrained(minilm);
    const Tokenizer tok = Tokenizer::from_pretrained(minilm);
    for (std::size_t i = 0; i < sentences.size(); ++i) {
        const json::Value r = post(c, "/embed", R"({"inputs": )" + sentences[i].dump() + "}", 200);
        REQUIRE(r.as_array().size() == 1);  // TEI: a list of embeddings even for one input
        const json::Array& got = r.as_array()[0].as_array();
        const std::vector<float> mine = embed(model, tok, {sentences[i].as_string()}, 256).front();
        const json::Array& want = ref.at("mean_normalized").as_array()[i].as_array();
        REQUIRE(got.size() == 384);
        double worst = 0;
        for (std::size_t h = 0; h < got.size(); ++h) {
            // the program is built for any x86-64 CPU, this test with -march=native: equal to rounding, not bits
            CHECK(got[h].as_double() == Approx(mine[h]).margin(1e-6));
            worst = std::max(worst, std::fabs(got[h].as_double() - want[h].as_double()));
        }
        CHECK(worst <= 1e-5);
    }
    const json::Value raw = post(c, "/embed", R"({"inputs": [)" + sentences[0].dump() + R"(], "normalize": false})", 200);
    const json::Array& want = ref.at("mean").as_array()[0].as_array();
    double worst = 0;
    for (std::size_t h = 0; h < want.size(); ++h)
        worst = std::max(worst, std::fabs(raw.as_array()[0].as_array()[h].as_double() - want[h].as_double()));
    CHECK(worst <= 1e-5);
    post(c, "/embed", R"({"inputs": "x", "normalize": "yes"})", 422);
    post(c, "/predict", R"({"inputs": "x"})", 404);  // an embedding model has no /predict
}

TEST_CASE("bad requests get TEI's error shape and status and the server keeps serving", "[serve][e2e]") {
    const std::string dir = task_checkpoint<SequenceClassification>("cls_err", {"neg", "pos"});
    ServerProcess server(TINYBERT_CLI, {"--model", dir, "--max-request-bytes", "2000", "--max-inputs", "8",
                                        "--threads", "1"});
    Client c(server);
    const auto error = [&](const std::string& path, const std::string& body, int status, const std::string& type) {
        const json::Value e = post(c, path, body, status);
        CHECK(e.at("error_type").as_string() == type);
        CHECK(!e.at("error").as_string().empty());
    };
    error("/predict", R"({"inputs": "unterminated)", 400, "invalid_json");
    error("/predict", "", 400, "invalid_json");
    error("/predict", R"({"inputs": 42})", 422, "validation");
    error("/predict", R"({"inputs": ["fine", null]})", 422, "validation");
    error("/predict", R"({"text": "wrong field"})", 422, "validation");
    error("/predict", R"(["not", "an", "object"])", 422, "validation");
    error("/predict", R"({"inputs": []})", 400, "empty");
    error("/predict", R"({"inputs": ["a","b","c","d","e","f","g","h","i"]})", 413, "validation");  // > --max-inputs 8
    error("/predict", R"({"inputs": ")" + std::string(3000, 'a') + R"("})", 413, "payload_too_large");
    error("/embed", R"({"inputs": "x"})", 404, "not_found");
    const auto get = c.Get("/no/such/path");
    REQUIRE(get);
    CHECK(get->status == 404);
    CHECK(json::parse(get->body, "404").at("error_type").as_string() == "not_found");
    // a text longer than the model is truncated (as predict does), not an error
    post(c, "/predict", R"({"inputs": ")" + std::string(1500, 'b') + R"( end"})", 200);
    CHECK(server.stop() == 0);
}

TEST_CASE("a client that stalls mid-request is dropped after the timeout while others are served", "[serve][e2e]") {
    const std::string dir = task_checkpoint<SequenceClassification>("cls_slow", {"neg", "pos"});
    ServerProcess server(TINYBERT_CLI, {"--model", dir, "--timeout", "2"});
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(server.port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const std::string half = "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                             "Content-Length: 100\r\n\r\n{\"inputs\": \"hal";
    REQUIRE(::send(fd, half.data(), half.size(), 0) == static_cast<ssize_t>(half.size()));
    const auto t0 = std::chrono::steady_clock::now();
    Client c(server);
    post(c, "/predict", R"({"inputs": "served while another client stalls"})", 200);
    // the stalled connection: the server gives up on it (may answer 4xx first) and closes it
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[1024];
    ssize_t n = 0;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
    }
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ::close(fd);
    CHECK(n == 0);  // closed by the server, not our 10 s receive timeout
    CHECK(waited >= 1.5);
    CHECK(waited < 8);
    post(c, "/predict", R"({"inputs": "still serving"})", 200);
    CHECK(server.stop() == 0);
}

TEST_CASE("16 concurrent clients get the sequential answers and SIGTERM lets in-flight requests finish with exit 0",
          "[serve][e2e]") {
    const std::string dir = task_checkpoint<SequenceClassification>("cls_conc", {"neg", "pos"});
    ServerProcess server(TINYBERT_CLI, {"--model", dir, "--threads", "2"});
    std::vector<json::Value> sequential;
    {
        Client c(server);
        for (const auto& t : texts) sequential.push_back(post(c, "/predict", R"({"inputs": )" + quoted(t) + "}", 200));
    }
    std::vector<std::thread> clients;
    std::vector<int> wrong(16, 0), failed(16, 0);
    for (int k = 0; k < 16; ++k)
        clients.emplace_back([&, k] {
            Client c(server);
            for (int i = 0; i < 6; ++i) {
                const std::size_t t = static_cast<std::size_t>(k + i) % texts.size();
                const auto res = c.Post("/predict", R"({"inputs": )" + quoted(texts[t]) + "}", "application/json");
                if (!res || res->status != 200) {
                    ++failed[static_cast<std::size_t>(k)];
                    continue;
                }
                const json::Value r = json::parse(res->body, "response");
                const json::Value& want = sequential[t].as_array()[0];
                const json::Value& got = r.as_array()[0];
                // batched with other clients' inputs: one padded forward, equal to rounding
                if (got.at("label").as_string() != want.at("label").as_string() ||
                    std::fabs(got.at("score").as_double() - want.at("score").as_double()) > 1e-5)
                    ++wrong[static_cast<std::size_t>(k)];
            }
       });
    for (auto& t : clients) t.join();
    for (int k = 0; k < 16; ++k) {
        CHECK(failed[static_cast<std::size_t>(k)] == 0);
        CHECK(wrong[static_cast<std::size_t>(k)] == 0);
    }
    // a large request in flight when SIGTERM arrives is still answered
    std::string review;  // ~150 tokens, cut to 128: a forward of 16 × 128 tokens (about a second here) is in flight
    for (int i = 0; i < 8; ++i) review += texts[static_cast<std::size_t>(i) % 2] + " ";
    json::Array many;
    for (int i = 0; i < 16; ++i) many.emplace_back(review);
    int status = 0;
    std::thread inflight([&] {
        Client c(server);
        const auto res = c.Post("/predict", json::Value(json::Object{{"inputs", json::Value(many)}}).dump(),
                                "application/json");
        status = res ? res->status : -1;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(server.stop() == 0);
    inflight.join();
    CHECK(status == 200);
}
