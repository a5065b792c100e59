import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, RETRY_MS, UNREACHABLE } from './api.js';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | Error | null;
  loading: boolean;
  reload: () => void;
}

/**
 * GETs `path` (re-fetching when it changes); `null` skips. When the server does not answer, the error says so and
 * the request is made again every RETRY_MS, so the page comes back by itself with the server (or, the server having
 * restarted without the session, goes to the login form: a 401 does that). With `body`, POSTs it as JSON (a read whose
 * input does not fit in an address: a long risk object's name).
 */
export function useApi<T>(path: string | null, opts: { refreshMs?: number; body?: unknown } = {}): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean; path: string | null }>({ data: null, error: null, loading: path !== null, path });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  // As text, so an equal body from the next render is the same dependency.
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  useEffect(() => {
    if (path === null) return;
    const abort = new AbortController();
    let retry: ReturnType<typeof setTimeout> | undefined;
    setState((s) => ({ ...s, loading: true, path }));
    api<T>(path, { signal: abort.signal, ...(body !== undefined ? { method: 'POST', body: JSON.parse(body) as unknown } : {}) }).then(
      (data) => setState({ data, error: null, loading: false, path }),
      (error: Error) => {
        if (abort.signal.aborted) return;
        let shown = error;
        if (error instanceof ApiError && error.body.code === UNREACHABLE) {
          shown = new ApiError(error.status, { ...error.body, message: `${error.body.message} Trying again every ${RETRY_MS / 1000} s.` });
          retry = setTimeout(reload, RETRY_MS);
        }
        setState((s) => ({ data: s.path === path ? s.data : null, error: shown, loading: false, path }));
      },
    );
    return () => {
      abort.abort();
      clearTimeout(retry);
    };
  }, [path, body, tick, reload]);
  const refreshMs = opts.refreshMs;
  useEffect(() => {
    if (!refreshMs) return;
    const t = setInterval(reload, refreshMs);
    return () => clearInterval(t);
  }, [refreshMs, reload]);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** Sets the document title. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · vigil`;
  }, [title]);
}

/** Marks the page interactive once its data is shown (the e2e test reads it for time-to-interactive). */
export function useReady(ready: boolean): void {
  const marked = useRef(false);
  useEffect(() => {
    if (!ready || marked.current) return;
    marked.current = true;
    const w = window as unknown as { __vigilReady?: number };
    // After the paint that shows the data.
    requestAnimationFrame(() => setTimeout(() => (w.__vigilReady = performance.now()), 0));
  }, [ready]);
}
