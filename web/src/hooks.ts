import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Connection } from './api/operations';

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs `load` when `deps` change (and on reload), keeping the last data while it reloads. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState((s) => ({ ...s, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface Paged<T> {
  items: T[];
  error: unknown;
  loading: boolean;
  done: boolean;
  /** Attach to an element at the end of the list: the next page loads when it scrolls into view. */
  sentinel: (el: Element | null) => void;
  reset(): void;
}

/** Relay-connection paging, driven by scrolling: pages load as the end of the list comes into view. */
export function usePaged<T>(loadPage: (after: string | null) => Promise<Connection<T>>, deps: unknown[]): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [done, setDone] = useState(false);
  const [generation, setGeneration] = useState(0);
  const cursor = useRef<string | null>(null);
  const busy = useRef(false);
  const visible = useRef(false);
  const gen = useRef(0);

  const next = useCallback(async () => {
    if (busy.current) return;
    busy.current = true;
    const mine = gen.current;
    setLoading(true);
    try {
      const page = await loadPage(cursor.current);
      if (mine !== gen.current) return;
      cursor.current = page.pageInfo.endCursor;
      setItems((old) => [...old, ...page.edges.map((e) => e.node)]);
      setDone(!page.pageInfo.hasNextPage);
      setError(undefined);
      busy.current = false;
      // A short page may leave the sentinel on screen: keep filling it.
      if (page.pageInfo.hasNextPage && visible.current) void next();
    } catch (err) {
      if (mine === gen.current) setError(err);
    } finally {
      if (mine === gen.current) {
        busy.current = false;
        setLoading(false);
      }
    }
  }, [...deps, generation]);

  useEffect(() => {
    gen.current += 1;
    cursor.current = null;
    busy.current = false;
    setItems([]);
    setDone(false);
    setError(undefined);
    void next();
  }, [next]);

  const observer = useRef<IntersectionObserver | null>(null);
  const sentinel = useCallback(
    (el: Element | null) => {
      observer.current?.disconnect();
      if (!el) return;
      observer.current = new IntersectionObserver(
        ([entry]) => {
          visible.current = entry.isIntersecting;
          if (entry.isIntersecting) void next();
        },
        { rootMargin: '400px' },
      );
      observer.current.observe(el);
    },
    [next],
  );
  useEffect(() => () => observer.current?.disconnect(), []);

  return { items, error, loading, done, sentinel, reset: () => setGeneration((g) => g + 1) };
}
