// client.cpp - small blocking HTTP client used by the health checker.

#include <map>
#include <stdexcept>
#include <string>
#include <utility>

namespace tide::http {

using Headers = std::map<std::string, std::string>;

class Transport {
public:
    virtual ~Transport() = default;
    virtual int send(const std::string& method, const std::string& url, int timeout_ms,
                     std::string& body) = 0;
};

class ResponseHandler {
public:
    virtual ~ResponseHandler() = default;
    virtual void on_headers(int status, const Headers& headers) = 0;
    virtual void on_body(const std::string& chunk) = 0;
};

class BufferingHandler : public ResponseHandler {
public:
    void on_headers(int status, const Headers& headers) override {
        auto it = headers.find("Content-Type");
        content_type_ = it == headers.end() ? "" : it->second;
    }

    void on_body(const std::string& chunk) override { body_ += chunk; }

    const std::string& body() const { return body_; }
    const std::string& content_type() const { return content_type_; }

private:
    std::string content_type_;
    std::string body_;
};

class HttpClient {
public:
    HttpClient(Transport& transport, std::string base_url)
        : transport_(transport), base_url_(std::move(base_url)) {}

    int get(const std::string& path, int timeout_ms, std::string& body) {
        if (timeout_ms <= 0) {
            throw std::invalid_argument("timeout_ms must be positive");
        }
        return transport_.send("GET", base_url_ + path, timeout_ms, body);
    }

    // Status of GET path, or `fallback` when the request fails.
    int status_or(const std::string& path, int fallback) {
        std::string body;
        try {
            return get(path, default_timeout_ms_, body);
        } catch (const std::exception& e) {
            last_error_ = e.what();
            return fallback;
        }
    }

    const std::string& last_error() const { return last_error_; }

private:
    Transport& transport_;
    std::string base_url_;
    int default_timeout_ms_ = 5000;
    std::string last_error_;
};

}  // namespace tide::http
