/*
 * ringbuf.c - a fixed-capacity byte ring buffer.
 *
 * Single producer, single consumer; the caller provides the storage.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ringbuf.h"

#define RB_MIN(a, b) ((a) < (b) ? (a) : (b))

typedef struct {
  uint8_t *data;
  size_t capacity;
  size_t head; /* next byte to read */
  size_t tail; /* next byte to write */
  size_t used;
} ringbuf_t;

enum rb_status {
  RB_OK = 0,
  RB_FULL = -1,
  RB_EMPTY = -2,
};

static size_t wrap(const ringbuf_t *rb, size_t pos) {
  return pos >= rb->capacity ? pos - rb->capacity : pos;
}

/* Initialises rb over `storage` of `capacity` bytes. */
void rb_init(ringbuf_t *rb, uint8_t *storage, size_t capacity) {
  rb->data = storage;
  rb->capacity = capacity;
  rb->head = rb->tail = rb->used = 0;
}

size_t rb_free(const ringbuf_t *rb) { return rb->capacity - rb->used; }

size_t rb_used(const ringbuf_t *rb) { return rb->used; }

/*
 * Writes up to len bytes; returns how many were written.
 */
size_t rb_write(ringbuf_t *rb, const void *src, size_t len) {
  const uint8_t *in = (const uint8_t *)src;
  size_t n = RB_MIN(len, rb_free(rb));
  size_t first = RB_MIN(n, rb->capacity - rb->tail);
  memcpy(rb->data + rb->tail, in, first);
  memcpy(rb->data, in + first, n - first);
  rb->tail = wrap(rb, rb->tail + n);
  rb->used += n;
  return n;
}

size_t rb_read(ringbuf_t *rb, void *dst, size_t len) {
  uint8_t *out = (uint8_t *)dst;
  size_t n = RB_MIN(len, rb->used);
  size_t first = RB_MIN(n, rb->capacity - rb->head);
  memcpy(out, rb->data + rb->head, first);
  memcpy(out + first, rb->data, n - first);
  rb->head = wrap(rb, rb->head + n);
  rb->used -= n;
  return n;
}

enum rb_status rb_push(ringbuf_t *rb, uint8_t byte) {
  if (rb->used == rb->capacity) {
    return RB_FULL;
  }
  rb->data[rb->tail] = byte;
  rb->tail = wrap(rb, rb->tail + 1);
  rb->used++;
  return RB_OK;
}

enum rb_status rb_pop(ringbuf_t *rb, uint8_t *byte) {
  if (rb->used == 0) {
    return RB_EMPTY;
  }
  *byte = rb->data[rb->head];
  rb->head = wrap(rb, rb->head + 1);
  rb->used--;
  return RB_OK;
}

/* Finds the first occurrence of `needle`; returns its offset from head or -1. */
long rb_find(const ringbuf_t *rb, uint8_t needle) {
  for (size_t i = 0; i < rb->used; ++i) {
    if (rb->data[wrap(rb, rb->head + i)] == needle) {
      return (long)i;
    }
  }
  return -1;
}
