// Package kv serves a key-value map over HTTP.
package kv

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// DefaultTimeout bounds every request.
const DefaultTimeout = 5 * time.Second

// Store is a concurrency-safe map.
type Store struct {
	mu   sync.RWMutex
	data map[string]string
}

// Getter reads values.
type Getter interface {
	Get(key string) (string, bool)
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{data: make(map[string]string)}
}

// Get returns the value of key.
func (s *Store) Get(key string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.data[key]
	return v, ok
}

// Set stores value under key.
func (s *Store) Set(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[key] = value
}

// Server exposes a Store over HTTP.
type Server struct {
	store   *Store
	timeout time.Duration
}

func NewServer(store *Store) *Server {
	return &Server{store: store, timeout: DefaultTimeout}
}

// ServeHTTP handles GET /key and PUT /key.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Path[1:]
	if key == "" {
		http.Error(w, "missing key", http.StatusBadRequest)
		return
	}
	switch r.Method {
	case http.MethodGet:
		v, ok := srv.store.Get(key)
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"key": key, "value": v})
	case http.MethodPut:
		var body struct {
			Value string `json:"value"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		srv.store.Set(key, body.Value)
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, PUT")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// ListenAndServe runs the server until it fails.
func (srv *Server) ListenAndServe(addr string) error {
	hs := &http.Server{
		Addr:         addr,
		Handler:      http.TimeoutHandler(srv, srv.timeout, "timeout"),
		ReadTimeout:  srv.timeout,
		WriteTimeout: srv.timeout,
	}
	return hs.ListenAndServe()
}
