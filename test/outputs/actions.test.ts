import { describe, expect, it } from 'vitest';
import { ACTION_DEFAULTS, parseAlertActions, parseAlertConfig, parseAlertRouting, routeMatches, type SplunkHecAction, type WebhookAction } from '../../src/outputs/actions.js';
import { VigilError } from '../../src/errors.js';

function configError(fn: () => unknown): VigilError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VigilError);
    expect((e as VigilError).code).toBe('CONFIG');
    return e as VigilError;
  }
  throw new Error('expected a CONFIG error');
}

const webhook = { name: 'soc', type: 'webhook', url: 'https://soc.example/hook' };

describe('alert action config', () => {
  it('parses the three action types with their defaults', () => {
    const cfg = parseAlertConfig(
      {
        actions: [
          { ...webhook, headers: { Authorization: 'Bearer x', 'X-Team': 7 } },
          { name: 'splunk', type: 'splunk_hec', url: 'https://splunk:8088', token: 'abc-123', index: 'risk' },
          { name: 'jsonl', type: 'file', path: 'alerts/out.jsonl' },
        ],
        routes: [{ detection: '*', actions: ['soc', 'jsonl'], on: ['finding'], suppress: { fields: ['risk_object'], period: '1h' } }],
      },
      { baseDir: '/etc/vigil' },
    );
    const [w, h, f] = cfg.actions;
    expect(w).toEqual({
      name: 'soc',
      type: 'webhook',
      url: 'https://soc.example/hook',
      headers: { Authorization: 'Bearer x', 'X-Team': '7' },
      timeoutMs: 10_000,
      insecure: false,
      maxAttempts: 10,
      backoff: { initialMs: 1000, maxMs: 300_000, factor: 2, jitter: 0.2 },
    } satisfies WebhookAction);
    expect(h).toMatchObject({
      type: 'splunk_hec',
      url: 'https://splunk:8088/services/collector/event',
      token: 'abc-123',
      index: 'risk',
      verifyTls: true,
      batchSize: ACTION_DEFAULTS.hecBatchSize,
      useAck: false,
    } satisfies Partial<SplunkHecAction>);
    expect(f).toMatchObject({ type: 'file', path: '/etc/vigil/alerts/out.jsonl' });
    expect(cfg.routes).toEqual([{ detection: '*', actions: ['soc', 'jsonl'], on: ['finding'], suppress: { fields: ['risk_object'], periodSeconds: 3600 } }]);
  });

  it('keeps an explicit HEC endpoint path and defaults route kinds to both', () => {
    const [h] = parseAlertActions([{ name: 'h', type: 'splunk_hec', url: 'http://splunk:8088/services/collector', token: 't' }]);
    expect((h as SplunkHecAction).url).toBe('http://splunk:8088/services/collector');
    const [r] = parseAlertRouting([{ detection: 'Cisco Isovalent - Shell Execution', actions: 'h' }], ['h']);
    expect(r).toEqual({ detection: 'Cisco Isovalent - Shell Execution', actions: ['h'], on: ['risk_event', 'finding'] });
  });

  it('an empty or missing section is no actions', () => {
    expect(parseAlertConfig(undefined)).toEqual({ actions: [], routes: [], deadLetterRetentionS: 7 * 86_400 });
    expect(parseAlertConfig({})).toEqual({ actions: [], routes: [], deadLetterRetentionS: 7 * 86_400 });
  });

  it('dead_letter_retention: a duration of at least an hour, or forever', () => {
    expect(parseAlertConfig({ dead_letter_retention: '30d' }).deadLetterRetentionS).toBe(30 * 86_400);
    expect(parseAlertConfig({ dead_letter_retention: 3600 }).deadLetterRetentionS).toBe(3600);
    expect(parseAlertConfig({ dead_letter_retention: 'forever' }).deadLetterRetentionS).toBe(Infinity);
    for (const bad of ['30m', 0, 'never', -5, '1 fortnight'])
      expect(configError(() => parseAlertConfig({ dead_letter_retention: bad })).message).toContain(
        '"alert_actions.dead_letter_retention" must be a duration of at least 1h (like 7d or 720h) or forever',
      );
  });

  it.each([
    [{ actions: [{ ...webhook, timeout: 5 }] }, '"alert_actions.actions[0].timeout" is not a known setting'],
    [{ actions: [{ ...webhook, timeoutms: 5 }] }, 'did you mean "timeoutMs"?'],
    [{ actions: [{ name: 'x', type: 'email' }] }, '"alert_actions.actions[0].type" must be one of webhook, splunk_hec, file, got "email"'],
    [{ actions: [{ name: 'x', type: 'webhook' }] }, '"alert_actions.actions[0].url" is required'],
    [{ actions: [{ ...webhook, url: 'ftp://x/' }] }, '"alert_actions.actions[0].url" must be an http:// or https:// URL'],
    [{ actions: [{ ...webhook, url: 'not a url' }] }, 'must be an http:// or https:// URL, got "not a url"'],
    [{ actions: [{ ...webhook, url: 'https://u:p@x/' }] }, 'must not carry credentials'],
    [{ actions: [{ ...webhook, maxAttempts: 0 }] }, '"alert_actions.actions[0].maxAttempts" must be an integer >= 1, got 0'],
    [{ actions: [{ ...webhook, backoff: { factor: 0.5 } }] }, '"alert_actions.actions[0].backoff.factor" must be a number >= 1'],
    [{ actions: [{ ...webhook, backoff: { initialMs: 5000, maxMs: 1000 } }] }, '"alert_actions.actions[0].backoff.maxMs" (1000) must not be smaller than initialMs (5000)'],
    [{ actions: [{ ...webhook, backoff: { jitter: 2 } }] }, '"alert_actions.actions[0].backoff.jitter" must be a number between 0 and 1'],
    [{ actions: [{ ...webhook, headers: { 'Idempotency-Key': 'x' } }] }, '"alert_actions.actions[0].headers.Idempotency-Key" is set by vigil'],
    [{ actions: [{ ...webhook, headers: { 'X-A': 'a\r\nX-B: b' } }] }, 'must not contain line breaks'],
    [{ actions: [{ ...webhook, headers: { 'bad header': 'a' } }] }, 'is not a valid HTTP header name'],
    [{ actions: [{ ...webhook, insecure: 'yes' }] }, '"alert_actions.actions[0].insecure" must be true or false, got "yes"'],
    [{ actions: [webhook, webhook] }, '"alert_actions.actions[1].name" repeats the action name "soc"'],
    [{ actions: [{ ...webhook, name: 'has space' }] }, '"alert_actions.actions[0].name" must be letters'],
    [{ actions: [{ name: 'h', type: 'splunk_hec', url: 'https://s:8088' }] }, '"alert_actions.actions[0].token" is required'],
    [{ actions: [{ name: 'h', type: 'splunk_hec', url: 'https://s:8088', token: 't', index: 'Risk' }] }, '"alert_actions.actions[0].index" is not a valid index name'],
    [{ actions: [{ name: 'h', type: 'splunk_hec', url: 'https://s:8088', token: 't', batchSize: 0 }] }, '"alert_actions.actions[0].batchSize" must be an integer between 1 and 10000'],
    [{ actions: [{ name: 'f', type: 'file' }] }, '"alert_actions.actions[0].path" is required'],
    // Node's timers take at most 2^31-1 ms: a larger timeoutMs fired after 1 ms and every delivery timed out.
    [{ actions: [{ ...webhook, timeoutMs: 2 ** 31 }] }, '"alert_actions.actions[0].timeoutMs" must be an integer between 1 and 2147483647 (milliseconds)'],
    [{ actions: [{ name: 'h', type: 'splunk_hec', url: 'https://s:8088', token: 't', ackPollMs: 2 ** 31 }] }, '"alert_actions.actions[0].ackPollMs" must be an integer between 1 and 2147483647'],
    [{ actions: 'soc' }, '"alert_actions.actions" must be a list'],
    [{ actions: [webhook], routes: [{ detection: '*', actions: ['pager'] }] }, '"alert_actions.routes[0].actions[0]" names an unknown action "pager" (configured: soc)'],
    [{ actions: [webhook], routes: [{ detection: '*', actions: [] }] }, '"alert_actions.routes[0].actions" must name at least one action'],
    [{ actions: [webhook], routes: [{ actions: ['soc'] }] }, '"alert_actions.routes[0].detection" is required'],
    [{ actions: [webhook], routes: [{ detection: '*', actions: ['soc'], on: ['notable'] }] }, '"alert_actions.routes[0].on[0]" must be risk_event or finding, got "notable"'],
    [{ actions: [webhook], routes: [{ detection: '*', actions: ['soc'], suppress: { fields: ['x'] } }] }, '"alert_actions.routes[0].suppress.period" is required'],
    [{ actions: [webhook], routes: [{ detection: '*', actions: ['soc'], suppress: { fields: ['x'], period: '1 fortnight' } }] }, '"alert_actions.routes[0].suppress.period" must be a positive duration'],
    [{ actions: [webhook], routes: [{ detection: '*', actions: ['soc'], suppress: { field: ['x'], period: '1h' } }] }, 'did you mean "fields"?'],
    [{ actions: [webhook], rules: [] }, '"alert_actions.rules" is not a known setting (did you mean "routes"?)'],
    [{ actions: [webhook], notify: [] }, '"alert_actions.notify" is not a known setting (known: actions, routes, dead_letter_retention)'],
  ])('rejects %j', (raw, message) => {
    expect(configError(() => parseAlertConfig(raw)).message).toContain(message);
  });

  it('prefixes errors with the position the config loader gives', () => {
    const err = configError(() => parseAlertConfig({ actions: [{ name: 'x', type: 'webhook' }] }, { at: (p) => `vigil.yml:${p.length * 10}: ` }));
    expect(err.message).toBe('vigil.yml:40: "alert_actions.actions[0].url" is required');
  });

  it('routes match by id, name or *', () => {
    const d = { id: 'abc', name: 'Some Detection' };
    expect(routeMatches({ detection: '*', actions: [], on: [] }, d)).toBe(true);
    expect(routeMatches({ detection: 'abc', actions: [], on: [] }, d)).toBe(true);
    expect(routeMatches({ detection: 'Some Detection', actions: [], on: [] }, d)).toBe(true);
    expect(routeMatches({ detection: 'Other', actions: [], on: [] }, d)).toBe(false);
  });
});
