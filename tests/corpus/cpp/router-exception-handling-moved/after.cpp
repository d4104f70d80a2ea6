// router.cpp - request routing for the admin API.

#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace tide::server {

struct Request {
    std::string method;
    std::string path;
};

struct Response {
    int status;
    std::string body;
};

using Handler = std::function<Response(const Request&)>;

static void log_error(const std::string& where, const char* what) {
    std::fprintf(stderr, "router: %s: %s\n", where.c_str(), what);
}

class Router {
public:
    void add_route(const std::string& method, const std::string& prefix, Handler handler) {
        routes_.push_back(Route{method, prefix, std::move(handler)});
    }

    Response dispatch(const Request& req) const {
        for (const auto& route : routes_) {
            if (route.method == req.method && req.path.rfind(route.prefix, 0) == 0) {
                return route.handler(req);
            }
        }
        return Response{404, "not found"};
    }

    void reload(const std::string& path) {
        load_routes(path);
    }

    void shutdown() {
        try {
            flush_access_log();
        } catch (...) {
            // Best effort: the process is exiting anyway.
        }
        routes_.clear();
    }

private:
    struct Route {
        std::string method;
        std::string prefix;
        Handler handler;
    };

    void load_routes(const std::string& path) {
        if (path.empty()) {
            throw std::runtime_error("no routes file configured");
        }
    }

    void flush_access_log() { std::fflush(stdout); }

    std::vector<Route> routes_;
};

}  // namespace tide::server
