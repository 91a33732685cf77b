// A tiny observable key-value store with undo support.
'use strict';

import { EventEmitter } from 'events';
import path from 'path';

const DEFAULT_LIMIT = 100;

/**
 * Deep-clones plain JSON values.
 */
function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

const isPlainObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

export class Store extends EventEmitter {
  #state = {};
  #history = [];

  constructor(initial = {}, { limit = DEFAULT_LIMIT } = {}) {
    super();
    this.#state = clone(initial);
    this.limit = limit;
  }

  get(key) {
    return clone(this.#state[key]);
  }

  set(key, value) {
    const previous = this.#state[key];
    this.#history.push({ key, previous });
    if (this.#history.length > this.limit) {
      this.#history.shift();
    }
    this.#state[key] = clone(value);
    this.emit('change', { key, value, previous });
    return this;
  }

  merge(key, patch) {
    const current = this.#state[key];
    if (!isPlainObject(current) || !isPlainObject(patch)) {
      throw new TypeError(`cannot merge into ${key}: not an object`);
    }
    return this.set(key, { ...current, ...patch });
  }

  undo() {
    const last = this.#history.pop();
    if (!last) {
      return false;
    }
    if (last.previous === undefined) {
      delete this.#state[last.key];
    } else {
      this.#state[last.key] = last.previous;
    }
    this.emit('undo', last);
    return true;
  }

  onKey = (key, listener) => {
    const handler = (event) => {
      if (event.key === key) listener(event.value, event.previous);
    };
    this.on('change', handler);
    return () => this.off('change', handler);
  };

  toJSON() {
    return clone(this.#state);
  }
}

export function persistTo(store, file, fs) {
  const target = path.resolve(file);
  const write = () => fs.writeFileSync(target, JSON.stringify(store.toJSON(), null, 2));
  store.on('change', write);
  store.on('undo', write);
  return () => {
    store.off('change', write);
    store.off('undo', write);
  };
}

export default Store;
