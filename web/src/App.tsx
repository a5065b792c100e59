import { useEffect, useState } from 'react';
import { printableLines } from '../../src/outputs/printable.js';
import type { SessionInfo } from '../../src/web/api-types.js';
import { currentSession, LOGGED_OUT, logout, RETRY_MS } from './api.js';
import { ErrorBox, Loading, Page } from './components/ui.js';
import { DetectionDetail } from './pages/DetectionDetail.js';
import { Detections } from './pages/Detections.js';
import { FindingDetail } from './pages/FindingDetail.js';
import { Findings } from './pages/Findings.js';
import { Ingest } from './pages/Ingest.js';
import { Login } from './pages/Login.js';
import { Overview } from './pages/Overview.js';
import { RiskObject } from './pages/RiskObject.js';
import { Search } from './pages/Search.js';
import { objectAt } from './risk-link.js';
import { Link, match, useRoute } from './router.js';

const NAV = [
  { to: '/', label: 'Risk', section: (p: string) => p === '/' || p.startsWith('/risk') },
  { to: '/findings', label: 'Findings', section: (p: string) => p.startsWith('/findings') },
  { to: '/detections', label: 'Detections', section: (p: string) => p.startsWith('/detections') },
  { to: '/search', label: 'Search', section: (p: string) => p.startsWith('/search') },
  { to: '/ingest', label: 'Ingest', section: (p: string) => p.startsWith('/ingest') },
];

function Routes({ session }: { session: SessionInfo }) {
  const { path, query } = useRoute();
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return <Overview />;
  if ((m = match('/risk/:object', path))) return <RiskObject key={m['object']} object={m['object']!} />;
  if (path === '/risk') {
    // `.`/`..` (`?object=`) and names too long for an address (`?ref=` + the history entry's state): risk-link.ts.
    const object = objectAt(query, window.history.state);
    if (object !== null) return <RiskObject key={object} object={object} />;
    return (
      <Page title="Risk object" busy={false}>
        <p>
          This address does not hold the risk object: a name too long for an address is kept by the browser tab that opened it. <Link to="/">Open it from the risk overview</Link>.
        </p>
      </Page>
    );
  }
  if (path === '/findings') return <Findings />;
  if ((m = match('/findings/:id', path))) return <FindingDetail key={m['id']} id={m['id']!} user={session.user} />;
  if (path === '/detections') return <Detections />;
  if ((m = match('/detections/:id', path))) return <DetectionDetail key={m['id']} id={m['id']!} />;
  if (path === '/search') return <Search />;
  if (path === '/ingest') return <Ingest />;
  // A Page like the others: its title said the previous page's (or "vigil"), and the path is shown as data is.
  return (
    <Page title="Not found" busy={false}>
      <p>
        Nothing at {printableLines(path)}. <Link to="/">Go to the risk overview</Link>.
      </p>
    </Page>
  );
}

export function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [startError, setStartError] = useState<Error | null>(null);
  const { path } = useRoute();
  useEffect(() => {
    // The server not answering left "Starting…" forever: say so and ask again every RETRY_MS.
    let retry: ReturnType<typeof setTimeout> | undefined;
    const ask = () =>
      currentSession().then(
        (s) => {
          setStartError(null);
          setSession(s);
        },
        (e: Error) => {
          setStartError(e);
          retry = setTimeout(() => void ask(), RETRY_MS);
        },
      );
    void ask();
    const out = () => setSession(null);
    window.addEventListener(LOGGED_OUT, out);
    return () => {
      clearTimeout(retry);
      window.removeEventListener(LOGGED_OUT, out);
    };
  }, []);
  if (session === undefined)
    return startError ? (
      <main className="login" id="main">
        <ErrorBox error={startError} />
        <p className="muted">Trying again every {RETRY_MS / 1000} s.</p>
      </main>
    ) : (
      <Loading what="Starting" />
    );
  if (session === null) return <Login onLogin={setSession} />;
  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="vigil home">
          <span className="logo" aria-hidden="true">
            V
          </span>{' '}
          vigil
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={n.section(path) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="user">
          <span className="muted">{session.user}</span>
          <button type="button" className="secondary small" onClick={() => void logout().then(() => setSession(null))}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes session={session} />
      </main>
    </div>
  );
}
