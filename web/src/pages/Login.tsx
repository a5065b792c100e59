import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { SessionInfo } from '../../../src/web/api-types.js';
import { ApiError, login } from '../api.js';
import { useTitle } from '../hooks.js';

export function Login({ onLogin }: { onLogin: (s: SessionInfo) => void }) {
  useTitle('Log in');
  const [mode, setMode] = useState<'password' | 'token'>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), [mode]);
  useEffect(() => {
    // Without configured users only the API token logs in.
    fetch('/api/login')
      .then((r) => (r.ok ? (r.json() as Promise<{ usersConfigured: boolean }>) : null))
      .then((j) => {
        if (j && !j.usersConfigured) setMode('token');
      })
      .catch(() => undefined);
  }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      onLogin(await login(mode === 'password' ? { username, password } : { token: token.trim() }));
    } catch (err) {
      setError(err instanceof ApiError ? err.body.message : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="login" id="main">
      <form onSubmit={submit} className="card form" aria-labelledby="login-title">
        <h1 id="login-title">
          <span className="logo" aria-hidden="true">
            V
          </span>{' '}
          vigil
        </h1>
        <fieldset className="segmented">
          <legend className="sr-only">Log in with</legend>
          <label>
            <input type="radio" name="mode" checked={mode === 'password'} onChange={() => setMode('password')} /> User and password
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'token'} onChange={() => setMode('token')} /> API token
          </label>
        </fieldset>
        {mode === 'password' ? (
          <>
            <label>
              User name
              <input ref={first} name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
            </label>
            <label>
              Password
              <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
            </label>
          </>
        ) : (
          <label>
            API token
            <input ref={first} name="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} required />
            <span className="muted small">Printed by vigil serve on first start; also in &lt;data dir&gt;/api-token.</span>
          </label>
        )}
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          Log in
        </button>
      </form>
    </main>
  );
}
