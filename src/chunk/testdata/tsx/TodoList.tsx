import React, { useCallback, useMemo, useState } from "react";
import { TodoItem } from "./TodoItem";

export interface Todo {
  id: number;
  title: string;
  done: boolean;
}

type Filter = "all" | "open" | "done";

interface TodoListProps {
  initial?: Todo[];
  onChange?: (todos: Todo[]) => void;
}

// Keeps ids unique within a session.
let nextId = 1;

export function makeTodo(title: string): Todo {
  return { id: nextId++, title: title.trim(), done: false };
}

const FilterButton = ({ value, current, onSelect }: {
  value: Filter;
  current: Filter;
  onSelect: (f: Filter) => void;
}) => (
  <button className={value === current ? "active" : ""} onClick={() => onSelect(value)}>
    {value}
  </button>
);

export default function TodoList({ initial = [], onChange }: TodoListProps) {
  const [todos, setTodos] = useState<Todo[]>(initial);
  const [filter, setFilter] = useState<Filter>("all");
  const [draft, setDraft] = useState("");

  const update = useCallback(
    (next: Todo[]) => {
      setTodos(next);
      onChange?.(next);
    },
    [onChange],
  );

  const visible = useMemo(
    () =>
      todos.filter((t) => (filter === "all" ? true : filter === "done" ? t.done : !t.done)),
    [todos, filter],
  );

  const add = () => {
    if (!draft.trim()) return;
    update([...todos, makeTodo(draft)]);
    setDraft("");
  };

  const toggle = (id: number) =>
    update(todos.map((t) => (t.id === id ? { ...t, done: !t.done } : t)));

  return (
    <div className="todo-list">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="New todo" />
        <button type="submit">Add</button>
      </form>
      <nav>
        {(["all", "open", "done"] as Filter[]).map((f) => (
          <FilterButton key={f} value={f} current={filter} onSelect={setFilter} />
        ))}
      </nav>
      <ul>
        {visible.map((t) => (
          <TodoItem key={t.id} todo={t} onToggle={() => toggle(t.id)} />
        ))}
      </ul>
      <footer>{todos.filter((t) => !t.done).length} left</footer>
    </div>
  );
}
