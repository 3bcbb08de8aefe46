// tests/serve/server_process.hpp: a `tinybert serve` child process on loopback for the end-to-end tests and
// benchmarks/bench_serve.cpp: started with posix_spawn, its port read from the "listening on http://HOST:PORT" line
// of its stderr (it runs with --port 0), stopped with SIGTERM and reaped.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace tinybert::testing {

class ServerProcess {
public:
    // Runs `tinybert serve --port 0 args...` and waits (up to `startup`) for its port.
    ServerProcess(const std::string& tinybert, std::vector<std::string> args,
                  std::chrono::seconds startup = std::chrono::seconds(120)) {
        int fds[2];
        if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
        std::vector<std::string> argv{tinybert, "serve", "--port", "0"};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> cargv;
        for (auto& a : argv) cargv.push_back(a.data());
        cargv.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
        posix_spawn_file_actions_addclose(&actions, fds[0]);
        posix_spawn_file_actions_addclose(&actions, fds[1]);
        const int rc = posix_spawn(&pid_, tinybert.c_str(), &actions, nullptr, cargv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(fds[1]);
        err_fd_ = fds[0];
        if (rc != 0) throw std::runtime_error("cannot start " + tinybert);
        const auto deadline = std::chrono::steady_clock::now() + startup;
        const std::string marker = "listening on http://";
        while (port_ == 0) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            pollfd p{err_fd_, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) fail("no port in time");
            char buf[512];
            const ssize_t n = ::read(err_fd_, buf, sizeof buf);
            if (n <= 0) fail("exited before listening");
            stderr_.append(buf, static_cast<std::size_t>(n));
            const auto at = stderr_.find(marker);
            const auto eol = at == std::string::npos ? at : stderr_.find('\n', at);
            if (eol != std::string::npos) port_ = std::stoi(stderr_.substr(stderr_.rfind(':', eol) + 1));
        }
    }
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;
    ~ServerProcess() {
        if (pid_ > 0) stop();
        if (err_fd_ >= 0) ::close(err_fd_);
    }

    int port() const { return port_; }
    pid_t pid() const { return pid_; }

    // Sends SIGTERM and waits for the exit; returns the exit code (128 + signal when killed by one).
    int stop(std::chrono::seconds patience = std::chrono::seconds(60)) {
        ::kill(pid_, SIGTERM);
        return wait(patience);
    }

    // Waits for the exit (SIGKILL after `patience`); returns the exit code (128 + signal when killed by one).
    int wait(std::chrono::seconds patience) {
        const auto deadline = std::chrono::steady_clock::now() + patience;
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            ::usleep(20000);
        }
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

private:
    [[noreturn]] void fail(const std::string& why) {
        if (pid_ > 0) stop(std::chrono::seconds(5));
        throw std::runtime_error("tinybert serve: " + why + "; stderr: " + stderr_);
    }

    pid_t pid_ = -1;
    int err_fd_ = -1;
    int port_ = 0;
    std::string stderr_;
};

}  // namespace tinybert::testing
