import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

const CHANGE = 'vigil:navigate';

function subscribe(cb: () => void): () => void {
  window.addEventListener('popstate', cb);
  window.addEventListener(CHANGE, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(CHANGE, cb);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

export interface Route {
  path: string;
  query: URLSearchParams;
}

/** The current location; components re-render when it changes. */
export function useRoute(): Route {
  const href = useSyncExternalStore(subscribe, snapshot);
  const u = new URL(href, window.location.origin);
  return { path: u.pathname, query: u.searchParams };
}

/** `state`: what the history entry keeps besides its address (a long risk object's name: risk-link.ts). */
export function navigate(to: string, opts: { replace?: boolean; state?: unknown } = {}): void {
  if (to === snapshot()) return;
  const state = opts.state ?? null;
  if (opts.replace) window.history.replaceState(state, '', to);
  else window.history.pushState(state, '', to);
  window.dispatchEvent(new Event(CHANGE));
}

/** Replaces query parameters of the current page (empty values removed). */
export function setQuery(params: Record<string, string | null | undefined>, opts: { replace?: boolean } = { replace: true }): void {
  const u = new URL(window.location.href);
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') u.searchParams.delete(k);
    else u.searchParams.set(k, v);
  }
  // The same page: its entry's state (a long risk object's name) goes along.
  navigate(u.pathname + u.search, { ...opts, state: window.history.state as unknown });
}

/** A link that navigates without reloading (modifier clicks still open new tabs). */
export function Link({ to, state, children, ...rest }: { to: string; state?: unknown; children: ReactNode } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    rest.onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to, { state });
    window.scrollTo(0, 0);
  };
  return (
    <a href={to} {...rest} onClick={onClick}>
      {children}
    </a>
  );
}

/** Matches `/findings/:id` style patterns; returns the decoded parameters or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.replace(/\/+$/, '').split('/');
  if (path === '/' && pattern === '/') return {};
  if (p.length !== s.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const a = p[i]!;
    const b = s[i]!;
    if (a.startsWith(':')) {
      if (!b) return null;
      out[a.slice(1)] = decodeURIComponent(b);
    } else if (a !== b) return null;
  }
  return out;
}
