// worker_pool.cpp - fixed-size thread pool running background indexing jobs.

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace tide::runtime {

struct Service {
    virtual ~Service() = default;
    virtual void start() = 0;
    virtual void stop() = 0;
};

class NonCopyable {
protected:
    NonCopyable() = default;
    ~NonCopyable() = default;
    NonCopyable(const NonCopyable&) = delete;
    NonCopyable& operator=(const NonCopyable&) = delete;
};

class WorkerPool : public Service, private NonCopyable {
public:
    static constexpr std::size_t kMaxWorkers = 64;
    explicit WorkerPool(std::size_t threads) : size_(threads) {}
    ~WorkerPool() override { stop(); }

    void start() override {
        if (size_ == 0) {
            size_ = 1;
        }
        for (std::size_t i = 0; i < size_ && i < kMaxWorkers; ++i) {
            workers_.emplace_back([this] { run(); });
        }
    }

    void submit(std::function<void()> job) {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) {
            throw std::runtime_error("submit() on a stopped worker pool");
        }
        queue_.push_back(std::move(job));
        cv_.notify_one();
    }

    void stop() override {
        {
            std::lock_guard<std::mutex> lock(mu_);
            stopping_ = true;
        }
        cv_.notify_all();
        for (auto& worker : workers_) {
            if (worker.joinable()) worker.join();
        }
    }

private:
    void run() {
        while (true) {
            std::function<void()> job;
            {
                std::unique_lock<std::mutex> lock(mu_);
                cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
                if (stopping_ && queue_.empty()) return;
                job = std::move(queue_.front());
                queue_.pop_front();
            }
            try {
                job();
            } catch (const std::exception& e) {
                std::fprintf(stderr, "worker: job failed: %s\n", e.what());
            }
        }
    }

    std::size_t size_;
    bool stopping_ = false;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> queue_;
    std::vector<std::thread> workers_;
};

}  // namespace tide::runtime
