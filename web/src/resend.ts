/**
 * A request's response, sent once more when it was a change refused for its CSRF token and `refresh` read the
 * session's token again: a login in another tab replaced the session cookie this tab sends, and with it the token
 * it must send (the server answers 403 with code CSRF). DOM-free, so the unit tests run it under Node.
 */
export async function resendOnStaleCsrf(method: string, send: () => Promise<Response>, refresh: () => Promise<boolean>): Promise<Response> {
  const res = await send();
  if (res.status !== 403 || method === 'GET') return res;
  let code: unknown;
  try {
    code = ((await res.clone().json()) as { error?: { code?: unknown } }).error?.code;
  } catch {
    return res; // not a JSON error body
  }
  return code === 'CSRF' && (await refresh()) ? send() : res;
}
