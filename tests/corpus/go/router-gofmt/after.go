package api

import (
	"log/slog"
	"net/http"
	"time"
)

// Routes bundles the handlers mounted by NewRouter.
type Routes struct {
	Users  *UsersHandler
	Items  *ItemsHandler
	Health http.Handler
	Logger *slog.Logger
}

// NewRouter mounts the API handlers and wraps them in request logging.
func NewRouter(r Routes) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/users", r.Users.Create)
	mux.Handle("/items", r.Items)
	mux.Handle("/healthz", r.Health)
	return logRequests(r.Logger, mux)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, req)
		logger.Info("request",
			"method", req.Method,
			"path", req.URL.Path,
			"status", rec.status,
			"duration", time.Since(start),
		)
	})
}
