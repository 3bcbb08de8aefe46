// tinybert serve --model DIR [--task classification|ner|qa|embed] [--host H] [--port P] [--max-batch-tokens N] ...
// An HTTP/JSON server (cpp-httplib) for one model: GET /health, GET /info, POST /predict (classification, ner, qa)
// or POST /embed (embed). Thread model: httplib's pool threads parse and tokenize requests and wait on futures; one
// batcher worker runs every forward (serve/batcher.hpp); a signal thread turns SIGTERM/SIGINT into a graceful stop.
// Request and answer shapes, errors and limits: docs/serving.md.
#pragma once

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "serve/request.hpp"
#include "serve/service.hpp"
#include "tinybert/serve/batcher.hpp"

// after Eigen: httplib.h pulls in <resolv.h>, whose `_res` macro breaks Eigen headers included after it
#include <httplib.h>

namespace tinybert::cli {

namespace serve {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 8080;                          // 0: any free port (printed on stderr)
    std::size_t max_batch_tokens = 16384;     // padded tokens per forward; 0: one input per forward
    std::size_t max_request_bytes = 1 << 20;  // larger bodies: 413
    std::size_t max_inputs = 64;              // inputs per request; more: 413
    int timeout_s = 10;                       // read/write timeout of a connection (slow clients are dropped)
    std::size_t http_threads = 80;            // 64 keep-alive clients and some slack
};

inline void send_error(httplib::Response& res, int status, const std::string& message, const std::string& type) {
    res.status = status;
    res.set_content(error_body(message, type), "application/json");
}

// Blocks SIGTERM and SIGINT in this thread and every thread started after it (they inherit the mask), so that only
// the signal thread's sigwait receives them. main() calls it before the first thread exists; calling it again is
// harmless and returns the set.
inline sigset_t block_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr);
    TINYBERT_CHECK(rc == 0, "pthread_sigmask failed");
    return set;
}

// The routes, limits and error answers of the server for one loaded model.
template <ServeTask K, class Family>
void configure(httplib::Server& server, Service<K, Family>& service, ::tinybert::serve::Batcher<Input, json::Value>& batcher,
               const ServerOptions& o) {
    const std::size_t threads = o.http_threads;
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server.set_read_timeout(o.timeout_s, 0);
    server.set_write_timeout(o.timeout_s, 0);
    server.set_keep_alive_timeout(o.timeout_s);
    // httplib closes a keep-alive connection after 5 requests by default; clients that keep their connection open
    // (as load balancers and client pools do) would otherwise reconnect every 5 requests, and Debian's httplib build
    // listens with a backlog of only 5, so bursts of reconnections under load can be refused.
    server.set_keep_alive_max_count(1000);
    server.set_payload_max_length(o.max_request_bytes);
    // Everything httplib answers by itself (unknown path 404, body too large 413, bad request line 400) gets a JSON
    // body in the error shape too.
    server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        const std::string type = res.status == 404 ? "not_found" : res.status == 413 ? "payload_too_large" : "http";
        const std::string message = res.status == 404   ? "no route " + req.method + " " + req.path
                                    : res.status == 413 ? "the request body is larger than the limit"
                                                        : "HTTP error " + std::to_string(res.status);
        send_error(res, res.status, message, type);
    });
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string message = "internal error";
        try {
            std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            message = e.what();
        } catch (...) {
        }
        send_error(res, 500, message, "backend");
    });

    server.Get("/health", [&service](const httplib::Request&, httplib::Response& res) {
        res.set_content(json::Value(json::Object{{"status", "ok"},
                                                 {"task", serve_task_name(K)},
                                                 {"model", service.options().model_dir}})
                            .dump(),
                        "application/json");
    });
    server.Get("/info", [&service, &batcher, o](const httplib::Request&, httplib::Response& res) {
        json::Object info = service.info();
        info.emplace_back("max_batch_tokens", static_cast<std::int64_t>(batcher.max_batch_tokens()));
        info.emplace_back("max_client_batch_size", static_cast<std::int64_t>(o.max_inputs));
        info.emplace_back("max_request_bytes", static_cast<std::int64_t>(o.max_request_bytes));
        info.emplace_back("timeout_s", static_cast<std::int64_t>(o.timeout_s));
        res.set_content(json::Value(std::move(info)).dump(), "application/json");
    });
    const auto answer = [&service, &batcher, o](const httplib::Request& req, httplib::Response& res) {
        try {
            json::Value body;
            try {
                body = json::parse(req.body, "request body");
            } catch (const Error& e) {
                throw RequestError(400, "invalid_json", e.what());
            }
            ParsedRequest parsed = parse_request(K, body, o.max_inputs);
            std::vector<std::future<json::Value>> pending;
            for (Input& in : parsed.inputs) {
                const std::size_t n = service.tokens(in);
                pending.push_back(batcher.submit(std::move(in), n));
            }
            json::Array results;
            for (auto& f : pending) results.push_back(f.get());
            // TEI's /embed answers a list of embeddings even for one input
            const bool unwrap = parsed.single && K != ServeTask::embed;
            res.set_content((unwrap ? results.front() : json::Value(std::move(results))).dump(), "application/json");
        } catch (const RequestError& e) {
            send_error(res, e.status, e.what(), e.type);
        } catch (const Error& e) {  // the library refused the input (e.g. in the tokenizer or a task helper)
            send_error(res, 422, e.what(), "validation");
        }
    };
    if constexpr (K == ServeTask::embed) {
        server.Post("/embed", answer);
    } else {
        server.Post("/predict", answer);
    }
}

// Loads the model, listens until SIGTERM/SIGINT, then stops accepting, lets in-flight requests finish and drains the
// batcher. Returns 0 after a signal, 1 when the server could not listen.
template <ServeTask K, class Family>
int serve_model(const ServiceOptions& so, const ServerOptions& o, const sigset_t& stop_signals) {
    Service<K, Family> service(so);
    ::tinybert::serve::Batcher<Input, json::Value> batcher([&service](const std::vector<Input>& in) { return service.run(in); },
                                        o.max_batch_tokens);
    httplib::Server server;
    configure(server, service, batcher, o);
    // Debian's httplib listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, compiled into its shared library).
    // With tens of clients connecting at once the accept queue overflows, the kernel falls back to SYN cookies and
    // resets some connections (failed requests in bench_serve at 64 clients; ListenOverflows in `nstat`). So the
    // listening socket is captured when httplib sets its options, and given the system's maximum backlog after bind.
    int listen_fd = -1;
    server.set_socket_options([&listen_fd](socket_t sock) {
        httplib::default_socket_options(sock);
        listen_fd = sock;  // the last socket httplib configures is the one it binds
    });
    const int port = o.port == 0 ? server.bind_to_any_port(o.host) : server.bind_to_port(o.host, o.port) ? o.port : -1;
    TINYBERT_CHECK(port > 0, "cannot listen on ", o.host, ":", o.port);
    TINYBERT_CHECK(::listen(listen_fd, SOMAXCONN) == 0, "listen(", o.host, ":", port, "): ", std::strerror(errno));
    std::cerr << "tinybert serve: " << serve_task_name(so.task) << " model " << so.model_dir << "\n"
              << "listening on http://" << o.host << ":" << port << std::endl;

    std::atomic<bool> listening_done{false}, signalled{false};
    std::thread signals([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        if (listening_done) return;  // woken by the main thread below
        signalled = true;
        std::cerr << "tinybert serve: signal " << sig << ", stopping" << std::endl;
        // stop() does nothing until listen_after_bind has started, so repeat it until the listen loop has ended
        while (!listening_done) {
            server.stop();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    server.listen_after_bind();  // returns after stop(), once the pool's in-flight requests are answered
    listening_done = true;
    if (!signalled) pthread_kill(signals.native_handle(), SIGTERM);  // blocked there: pending until its sigwait
    signals.join();
    batcher.shutdown();
    std::cerr << "tinybert serve: stopped" << std::endl;
    return signalled ? 0 : 1;
}

}  // namespace serve

inline int run_serve(int argc, char** argv) {
    Args args(argc, argv,
              "tinybert serve --model DIR [--task classification|ner|qa|embed] [--host 127.0.0.1] [--port 8080] "
              "[--max-batch-tokens 16384] [--max-length L] [--doc-stride 128] [--threads T] "
              "[--max-request-bytes 1048576] [--max-inputs 64] [--timeout 10] [--int8]");
    using namespace serve;
    ServiceOptions so;
    so.model_dir = args.required("--model");
    const std::string task = args.value("--task", "");
    so.task = task.empty() ? task_of_checkpoint(so.model_dir) : parse_serve_task(task);
    so.max_length = args.count("--max-length", default_max_length(so.task));
    so.doc_stride = args.count("--doc-stride", so.doc_stride);
    so.int8 = args.flag("--int8");
    ServerOptions o;
    o.host = args.value("--host", o.host);
    const std::size_t port = args.count("--port", static_cast<std::size_t>(o.port));
    TINYBERT_CHECK(port <= 65535, "--port must be at most 65535, got ", port);
    o.port = static_cast<int>(port);
    o.max_batch_tokens = args.count("--max-batch-tokens", o.max_batch_tokens);
    o.max_request_bytes = args.count("--max-request-bytes", o.max_request_bytes);
    o.max_inputs = args.count("--max-inputs", o.max_inputs);
    TINYBERT_CHECK(o.max_inputs > 0, "--max-inputs must be positive");
    const std::size_t timeout = args.count("--timeout", static_cast<std::size_t>(o.timeout_s));
    TINYBERT_CHECK(timeout > 0 && timeout <= 3600, "--timeout must be 1..3600 seconds, got ", timeout);
    o.timeout_s = static_cast<int>(timeout);
    apply_threads(args);
    args.finish();
    const sigset_t stop_signals = block_stop_signals();
    return with_pretrained_family(so.model_dir, [&]<class F>(std::type_identity<F>) {
        switch (so.task) {
            case ServeTask::classification: return serve_model<ServeTask::classification, F>(so, o, stop_signals);
            case ServeTask::ner: return serve_model<ServeTask::ner, F>(so, o, stop_signals);
            case ServeTask::qa: return serve_model<ServeTask::qa, F>(so, o, stop_signals);
            default: return serve_model<ServeTask::embed, F>(so, o, stop_signals);
        }
    });
}

}  // namespace tinybert::cli
