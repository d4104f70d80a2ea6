package api

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// maxPageSize bounds the limit query parameter of GET /items.
const maxPageSize = 500

type Item struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

type ItemService interface {
	List(offset, limit int) ([]Item, error)
	Create(item Item) (Item, error)
	Update(item Item) (Item, error)
}

type ItemsHandler struct {
	svc ItemService
}

func (h *ItemsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.list(w, r)
	case http.MethodPost:
		h.create(w, r)
	case http.MethodPut:
		h.update(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST, PUT")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (h *ItemsHandler) list(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit <= 0 || limit > maxPageSize {
		limit = maxPageSize
	}
	items, err := h.svc.List(offset, limit)
	if err != nil {
		http.Error(w, "could not list items", http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, items)
}

func (h *ItemsHandler) create(w http.ResponseWriter, r *http.Request) {
	var item Item
	if err := json.NewDecoder(r.Body).Decode(&item); err != nil {
		http.Error(w, "invalid item", http.StatusBadRequest)
		return
	}
	created, err := h.svc.Create(item)
	if err != nil {
		http.Error(w, "could not create item", http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusCreated, created)
}

func (h *ItemsHandler) update(w http.ResponseWriter, r *http.Request) {
	var item Item
	if err := json.NewDecoder(r.Body).Decode(&item); err != nil {
		http.Error(w, "invalid item", http.StatusBadRequest)
		return
	}
	updated, err := h.svc.Update(item)
	if err != nil {
		http.Error(w, "could not update item", http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, updated)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
