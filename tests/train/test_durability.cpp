// Durable saves (io/files.hpp, train/trainer.hpp, Tokenizer::save_pretrained) on the tiny parity checkpoint (dropout 0,
// double): a child process is killed with SIGKILL at every step of every save of a short training run (the crash points
// of io/files.hpp, compiled in by TINYBERT_TEST_CRASH_POINTS for this executable only); after each kill, resume must
// find a complete checkpoint — never an older one than after an earlier kill — and a resumed run must end with the
// uninterrupted run's weights and metrics log. A write that fails (the file size limit RLIMIT_FSIZE stands in for a
// full disk) must throw an error naming the file and the OS error and leave the previous checkpoint intact. SIGKILL
// does not drop what is in the page cache, so these tests check the order of the steps of a save, not that the fsyncs
// reach the disk.
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tinybert/backend/cpu/eigen_map.hpp"
#include "tinybert/nn/bert.hpp"
#include "tinybert/tokenizer/tokenizer.hpp"
#include "tinybert/train/trainer.hpp"
#include "train/tiny_run.hpp"

using namespace tinybert;
namespace fs = std::filesystem;

namespace {

using Model = test::TinyModel;
using test::make_features;
using test::weights;
const std::string fixture = test::tiny_fixture();

// 8 features in batches of 4: 2 updates per epoch, an evaluation and a save (best model + checkpoint) after each.
TrainingArguments args(const fs::path& out, std::size_t epochs, bool resume) {
    TrainingArguments a;
    a.output_dir = out.string();
    a.num_train_epochs = epochs;
    a.learning_rate = 1e-3;
    a.per_device_train_batch_size = 4;
    a.warmup_ratio = 0.25;
    a.weight_decay = 0.01;
    a.progress = false;
    a.logging_steps = 1;
    a.resume = resume;
    return a;
}

Metrics no_metrics(Model&) {
    return {};
}

std::vector<double> train(const fs::path& out, std::size_t epochs, bool resume) {
    const auto features = make_features(8);
    Model m = Model::from_pretrained(fixture);
    Trainer<Model>(m, args(out, epochs, resume)).train(features, 0, no_metrics);
    return weights(m);
}

// tmpfs when there is one: SIGKILL keeps the page cache, so the fsyncs only cost time here (~10 ms each on a disk).
fs::path scratch(const std::string& name) {
    const fs::path base = fs::is_directory("/dev/shm") && ::access("/dev/shm", W_OK) == 0 ? fs::path("/dev/shm")
                                                                                          : fs::temp_directory_path();
    const fs::path p = base / ("tinybert_test_durability_" + std::to_string(::getpid()) + "_" + name);
    fs::remove_all(p);
    return p;
}

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The metrics log without its last record, the run summary (its runtimes and train_loss are per process).
std::vector<std::string> log_records(const fs::path& dir) {
    std::istringstream in(read_bytes(dir / "metrics.jsonl"));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    if (!lines.empty()) lines.pop_back();
    return lines;
}

// Every file under dir, by relative path.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
    std::map<std::string, std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = read_bytes(e.path());
    return files;
}

// Runs f in a forked child and returns its wait status. The child leaves with _exit(f()) so that it never returns into
// Catch or runs the parent's exit handlers; an exception is printed and ends it with 98.
template <class F>
int in_child(F f) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int code = 98;
        try {
            code = f();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
        }
        ::_exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return status;
}

std::int64_t updates_in(const fs::path& checkpoint) {
    return json::parse_file((checkpoint / "trainer_state.json").string()).at("updates").as_int();
}

// Runs `run` in a child killed at its crash point n, for n = 1, 2, ... until a child finishes without reaching n;
// `prepare` sets up the output folder before each child, `check` looks at what the kill left. Returns how many crash
// points were tried.
template <class Prepare, class Run, class Check>
std::int64_t kill_at_every_crash_point(const Prepare& prepare, const Run& run, const Check& check) {
    for (std::int64_t n = 1;; ++n) {
        INFO("killed at crash point " << n);
        prepare();
        const int status = in_child([&] {
            detail::crash_points_passed = 0;  // not the parent's count
            detail::crash_at = n;
            run();
            return 3;  // finished without reaching crash point n
        });
        if (WIFEXITED(status) && WEXITSTATUS(status) == 3) return n - 1;
        REQUIRE(WIFSIGNALED(status));
        REQUIRE(WTERMSIG(status) == SIGKILL);
        check();
    }
}

}  // namespace

TEST_CASE("SIGKILL at every step of a save: resume finds a complete checkpoint and reaches the uninterrupted result",
          "[train][durability]") {
    set_num_threads(1);  // fork() after libgomp has started its threads is unsafe; the tiny model needs none
    const fs::path reference_dir = scratch("reference"), dir = scratch("killed"), saved = scratch("saved");
    detail::crash_points_passed = 0;
    const std::vector<double> expected = train(reference_dir, 2, false);
    const std::int64_t points = detail::crash_points_passed;  // the run's: creating output_dir and two saves
    const std::vector<std::string> expected_log = log_records(reference_dir);
    REQUIRE(expected_log.size() == 6);  // losses at updates 1-4, evaluations at 2 and 4

    const auto resume_reaches_the_uninterrupted_result = [&] {
        const int status = in_child([&] {
            const std::vector<double> w = train(dir, 2, true);
            return w != expected ? 1 : log_records(dir) != expected_log ? 2 : 0;
        });
        REQUIRE(WIFEXITED(status));
        const int code = WEXITSTATUS(status);
        CHECK(code == 0);  // 1: other weights, 2: another metrics log, 98: an exception
    };
    const auto restore = [&] {
        fs::remove_all(dir);
        fs::copy(saved, dir, fs::copy_options::recursive);
    };

    // A kill between the two renames of a save leaves checkpoint.old as the only complete checkpoint; the resumed
    // run's own save must keep it until its new one is in place, so that run is killed at each of its steps too.
    std::int64_t old_updates = 0;
    const auto after_second_kill = [&] {
        const std::optional<fs::path> checkpoint = find_checkpoint(dir.string());
        REQUIRE(checkpoint.has_value());
        CHECK(updates_in(*checkpoint) >= old_updates);
        resume_reaches_the_uninterrupted_result();
    };
    std::int64_t found_updates = 0, found = 0, between_renames = 0, second_kills = 0;
    const auto after_kill = [&] {
        // Once a save has finished, every later kill leaves a complete checkpoint at least as recent.
        const std::optional<fs::path> checkpoint = find_checkpoint(dir.string());
        if (checkpoint) {
            const std::int64_t updates = updates_in(*checkpoint);
            CHECK(updates >= found_updates);
            found_updates = updates;
            ++found;
        } else {
            CHECK(found_updates == 0);
        }
        // The best model's files are each old or new, never partial.
        if (fs::exists(dir / "model.safetensors") && fs::exists(dir / "config.json"))
            CHECK_NOTHROW(Model::from_pretrained(dir.string()));
        if (checkpoint && checkpoint->filename() == "checkpoint.old") {
            ++between_renames;
            old_updates = updates_in(*checkpoint);
            fs::remove_all(saved);
            fs::copy(dir, saved, fs::copy_options::recursive);
            second_kills += kill_at_every_crash_point(
                restore, [&] { train(dir, 2, true); }, after_second_kill);
            restore();
        }
        resume_reaches_the_uninterrupted_result();
    };
    const std::int64_t tried =
        kill_at_every_crash_point([&] { fs::remove_all(dir); }, [&] { train(dir, 2, false); }, after_kill);
    CHECK(tried == points);  // every crash point of the run was tried
    CHECK(points > 40);
    CHECK(found_updates == 4);
    CHECK(found > points / 2);
    CHECK(between_renames == 2);  // killed right after the rename checkpoint -> checkpoint.old, and after its fsync
    CHECK(second_kills > 40);
    for (const fs::path& p : {reference_dir, dir, saved}) fs::remove_all(p);
}

TEST_CASE("a failed write (file size limit) names the file and the OS error and keeps the previous checkpoint",
          "[train][durability]") {
    set_num_threads(1);
    const fs::path reference_dir = scratch("full_reference"), dir = scratch("full");
    const std::vector<double> expected = train(reference_dir, 2, false);
    train(dir, 1, false);  // checkpoint after update 2
    const std::map<std::string, std::string> before = snapshot(dir);

    struct Case {
        const char* name;
        std::uintmax_t limit;
        std::string failing_file;
        bool best_model_kept;
    };
    const std::uintmax_t best_model = fs::file_size(dir / "model.safetensors"),
                         model = fs::file_size(dir / "checkpoint" / "model.safetensors"),
                         optimizer = fs::file_size(dir / "checkpoint" / "optimizer.safetensors");
    REQUIRE(best_model < model);
    REQUIRE(model < optimizer);
    const std::vector<Case> cases{
        {"the best model's save fails", best_model / 2, (dir / "model.safetensors.tmp").string(), true},
        {"the checkpoint's save fails at its optimizer state", (model + optimizer) / 2,
         (dir / "checkpoint.tmp" / "optimizer.safetensors.tmp").string(), false},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        const int status = in_child([&] {
            const rlimit limit{c.limit, c.limit};
            if (::setrlimit(RLIMIT_FSIZE, &limit) != 0 || std::signal(SIGXFSZ, SIG_IGN) == SIG_ERR) return 4;
            try {
                train(dir, 2, true);  // resumes, trains epoch 2 and saves
            } catch (const Error& e) {
                const std::string what = e.what();
                std::fprintf(stderr, "child: %s\n", what.c_str());
                return what.find(c.failing_file + ": write failed: " + std::strerror(EFBIG)) == 0 ? 0 : 2;
            }
            return 1;
        });
        REQUIRE(WIFEXITED(status));
        const int code = WEXITSTATUS(status);
        CHECK(code == 0);  // 1: no error, 2: another message
        const std::map<std::string, std::string> after = snapshot(dir);
        std::vector<std::string> names_before, names_after;
        for (const auto& [name, bytes] : before) names_before.push_back(name);
        for (const auto& [name, bytes] : after) names_after.push_back(name);
        CHECK(names_after == names_before);  // no temporary file left
        for (const auto& [name, bytes] : before) {
            INFO(name);
            if (name == "metrics.jsonl") continue;  // the failed run logged its evaluation
            if (name.starts_with("checkpoint/") || c.best_model_kept)
                CHECK((after.count(name) && after.at(name) == bytes));
        }
    }
    // The kept checkpoint resumes to the uninterrupted result, and the log drops what the failed runs appended.
    CHECK(train(dir, 2, true) == expected);
    CHECK(log_records(dir) == log_records(reference_dir));
    fs::remove_all(reference_dir);
    fs::remove_all(dir);
}

// A real full disk: a tmpfs just large enough for the previous run's files plus half the next best model. Needs
// root (mount); skipped otherwise.
TEST_CASE("a full disk (a tiny tmpfs) gives an error naming the file and ENOSPC and keeps the previous checkpoint",
          "[train][durability]") {
    set_num_threads(1);
    const fs::path reference_dir = scratch("enospc_reference"), first = scratch("enospc_first"),
                   mnt = scratch("enospc_mount"), resumed = scratch("enospc_resumed");
    fs::create_directories(mnt);
    const std::vector<double> expected = train(reference_dir, 2, false);
    train(first, 1, false);  // best model + checkpoint after update 2
    constexpr std::uintmax_t page = 4096;  // tmpfs allocates whole pages
    std::uintmax_t pages = 0;
    for (const auto& e : fs::recursive_directory_iterator(first))
        if (e.is_regular_file()) pages += (e.file_size() + page - 1) / page;
    pages += (fs::file_size(first / "model.safetensors") / 2 + page - 1) / page;
    const std::string size = "size=" + std::to_string(pages * page);
    if (::mount("tinybert_enospc", mnt.c_str(), "tmpfs", 0, size.c_str()) != 0) {
        std::fprintf(stderr, "SKIPPED: cannot mount a tmpfs (%s); needs root\n", std::strerror(errno));
        std::exit(4);
    }
    struct Unmount {
        fs::path p;
        ~Unmount() {
            ::umount2(p.c_str(), MNT_DETACH);
            std::error_code ec;
            fs::remove(p, ec);
        }
    } unmount{mnt};
    fs::copy(first, mnt, fs::copy_options::recursive);
    const std::map<std::string, std::string> before = snapshot(mnt);

    std::string what;
    try {
        train(mnt, 2, true);  // resumes, trains epoch 2, and its saves need more than the disk has left
    } catch (const Error& e) {
        what = e.what();
    }
    INFO(what);
    CHECK(what.starts_with(mnt.string() + "/"));                     // names the file, on the full disk
    CHECK(what.find(std::strerror(ENOSPC)) != std::string::npos);   // and the OS error
    const std::map<std::string, std::string> after = snapshot(mnt);
    for (const auto& [name, bytes] : before) {
        INFO(name);
        if (name.starts_with("checkpoint/")) CHECK((after.count(name) && after.at(name) == bytes));
    }
    for (const auto& [name, bytes] : after) {
        INFO(name);
        CHECK(!name.ends_with(".tmp"));  // no temporary file left behind
        CHECK(name.find(".tmp/") == std::string::npos);
    }
    // The kept checkpoint, moved to a disk with room, resumes to the uninterrupted result.
    fs::copy(mnt, resumed, fs::copy_options::recursive);
    CHECK(train(resumed, 2, true) == expected);
    for (const fs::path& p : {reference_dir, first, resumed}) fs::remove_all(p);
}

TEST_CASE("the tokenizer's files: a failed directory or write names the file and the OS error and keeps the old files",
          "[train][durability]") {
    const Tokenizer tok = Tokenizer::from_pretrained(TINYBERT_TEST_DATA_DIR "/tokenizer/tiny_model");
    const fs::path dir = scratch("tokenizer");
    tok.save_pretrained(dir.string());
    const std::map<std::string, std::string> before = snapshot(dir);
    REQUIRE(before.size() == 3);  // vocab.txt, tokenizer_config.json, special_tokens_map.json
    CHECK_THROWS_WITH(
        tok.save_pretrained((dir / "vocab.txt" / "sub").string()),
        Catch::StartsWith((dir / "vocab.txt").string() + ": cannot create directory: " + std::strerror(EEXIST)));
    const int status = in_child([&] {
        const rlimit limit{before.at("vocab.txt").size() / 2, before.at("vocab.txt").size() / 2};
        if (::setrlimit(RLIMIT_FSIZE, &limit) != 0 || std::signal(SIGXFSZ, SIG_IGN) == SIG_ERR) return 4;
        try {
            tok.save_pretrained(dir.string());
        } catch (const Error& e) {
            const std::string what = e.what();
            std::fprintf(stderr, "child: %s\n", what.c_str());
            return what.find((dir / "vocab.txt.tmp").string() + ": write failed: " + std::strerror(EFBIG)) == 0 ? 0 : 2;
        }
        return 1;
    });
    REQUIRE(WIFEXITED(status));
    const int code = WEXITSTATUS(status);
    CHECK(code == 0);                // 1: no error, 2: another message
    CHECK(snapshot(dir) == before);  // no temporary file left, the old files as they were
    fs::remove_all(dir);
}
