package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// CreateUserRequest is the payload accepted by POST /users.
type CreateUserRequest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// UserStore persists users.
type UserStore interface {
	Create(name, email string) (int64, error)
}

// UsersHandler serves the /users endpoints.
type UsersHandler struct {
	store UserStore
}

func NewUsersHandler(store UserStore) *UsersHandler {
	return &UsersHandler{store: store}
}

// decodeJSON reads the request body into v, rejecting unknown fields.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New("invalid JSON body: " + err.Error())
	}
	return nil
}

// Create handles POST /users.
func (h *UsersHandler) Create(w http.ResponseWriter, r *http.Request) {
	var req CreateUserRequest
	err := decodeJSON(r, &req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Email = strings.TrimSpace(req.Email)
	if req.Name == "" || !strings.Contains(req.Email, "@") {
		http.Error(w, "name and a valid email are required", http.StatusUnprocessableEntity)
		return
	}
	id, err := h.store.Create(req.Name, req.Email)
	if err != nil {
		http.Error(w, "could not create user", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]int64{"id": id})
}
