import { describe, expect, it } from 'vitest';
import { resendOnStaleCsrf } from '../../web/src/resend.js';

/** A server with one session whose CSRF token is `token.value`; a change with another gets `refusal` (403). */
function server(token: { value: string }, refusal = { code: 'CSRF', message: 'missing or wrong X-CSRF-Token' }) {
  const seen: string[] = [];
  let held = 'old'; // the token this tab holds
  const send = (method: string) => async () => {
    seen.push(`${method} ${held}`);
    return method !== 'GET' && held !== token.value ? Response.json({ error: refusal }, { status: 403 }) : Response.json({ ok: true });
  };
  const refresh = async () => {
    seen.push('session');
    held = token.value;
    return true;
  };
  return { seen, send, refresh };
}

describe("the console's API client (web/src/resend.ts)", () => {
  it('sends a change refused for a CSRF token a login in another tab replaced once more, with the session read again', async () => {
    const token = { value: 'new' }; // another tab logged in: the cookie is the new session's
    const s = server(token);
    const res = await resendOnStaleCsrf('PATCH', s.send('PATCH'), s.refresh);
    expect([res.status, await res.json()]).toEqual([200, { ok: true }]);
    expect(s.seen).toEqual(['PATCH old', 'session', 'PATCH new']);
  });

  it('does not send again a change refused for another reason, nor a GET', async () => {
    const forbidden = server({ value: 'new' }, { code: 'FORBIDDEN', message: 'not allowed' });
    expect((await resendOnStaleCsrf('PATCH', forbidden.send('PATCH'), forbidden.refresh)).status).toBe(403);
    expect(forbidden.seen).toEqual(['PATCH old']);
    const get = server({ value: 'new' });
    expect((await resendOnStaleCsrf('GET', get.send('GET'), get.refresh)).status).toBe(200);
    expect(get.seen).toEqual(['GET old']);
  });
});
