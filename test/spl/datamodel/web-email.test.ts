import { describe, expect, it } from 'vitest';
import { packWith, rows } from './helpers.js';

/**
 * The bundled CIM Web and Email data models (content/datamodels/Web.yml, Email.yml) under tstats, over
 * hand-written JSON events tagged by event types of the test's own. Expected rows follow from CIM's
 * definitions, worked out by hand:
 * - Web: root Web is `tag=web`; Proxy adds `tag=proxy`, Storage `tag=storage` (Storage declares
 *   storage_name, operation, error_code). Fills: action/user when null or "", dest, src, status, url,
 *   http_method, http_user_agent, http_referrer, http_content_type also when "-"; bytes = bytes_in + bytes_out
 *   when absent; url_domain / http_referrer_domain the host of the URL (CIM's Rex; none for a path), lengths
 *   by len() after the fills (so a missing user agent is "unknown", 7).
 * - Email: root All_Email is `tag=email`; Delivery `tag=delivery`, Content `tag=content`, Filtering
 *   `tag=filter` (Filtering declares filter_action, filter_score, signature, signature_extra, signature_id).
 *   Fills: action, dest, src, src_user, recipient; recipient_count = mvcount(recipient) when not given;
 *   src_user_domain / recipient_domain the text after the last "@" (none for "unknown").
 * Fields keep the root's prefix in child datasets (`Web.url` in Web.Proxy, `All_Email.signature` in Filtering).
 */
const pack = packWith({
  'eventtypes/squid.yml': 'name: squid\nsearch: sourcetype=squid:access\ntags: [web, proxy]\n',
  'eventtypes/nginx.yml': 'name: nginx\nsearch: sourcetype=nginx:access\ntags: [web]\n',
  'eventtypes/s3.yml': 'name: s3\nsearch: sourcetype=aws:s3:accesslogs\ntags: [web, storage]\n',
  'eventtypes/mail_delivery.yml': 'name: mail_delivery\nsearch: sourcetype=mail:delivery\ntags: [email, delivery]\n',
  'eventtypes/mail_content.yml': 'name: mail_content\nsearch: sourcetype=mail:content\ntags: [email, content]\n',
  'eventtypes/mail_filter.yml': 'name: mail_filter\nsearch: sourcetype=mail:filter\ntags: [email, filter]\n',
});
const ev = (t: number, sourcetype: string, o: Record<string, unknown>) => ({ _time: 1_700_000_000 + t, sourcetype, _raw: JSON.stringify(o) });

const WEB = [
  ev(1, 'squid:access', { url: 'http://user:pw@evil.example.com:8080/a?b=1', http_user_agent: 'curl/8.0', status: 200, bytes_in: 100, bytes_out: 50, src: '10.0.0.1', dest: '-' }),
  ev(2, 'squid:access', { url: 'https://good.example.org/x', http_method: 'GET', status: 404, bytes: 500 }),
  ev(3, 'nginx:access', { url: '/index.php', http_referrer: 'https://ref.example.net/p', http_user_agent: '-', src: '10.0.0.2', dest: 'web01' }),
  ev(4, 'aws:s3:accesslogs', { url: 'https://bucket.s3.amazonaws.com/key', storage_name: 'bucket', operation: 'REST.GET.OBJECT', src: '10.0.0.3' }),
  // Not tagged web: in no Web dataset.
  ev(5, 'other', { url: 'https://other.example/', src: '10.0.0.9' }),
];

const EMAIL = [
  ev(1, 'mail:delivery', { src_user: 'alice@corp.example', recipient: 'bob@partner.example', subject: 'hi', action: 'delivered' }),
  ev(2, 'mail:filter', { src_user: 'mallory@evil.example', recipient: 'bob@corp.example', signature: 'phish', filter_score: 90, action: 'blocked' }),
  ev(3, 'mail:content', { file_name: 'invoice.pdf' }),
  // Not tagged email.
  ev(4, 'other', { src_user: 'x@y.example', recipient: 'z@y.example' }),
];

const tstats = (spl: string, events: typeof WEB) => rows(pack, spl, events);

describe('bundled CIM Web data model', () => {
  it('counts each dataset by its constraint: Web = tag web, Proxy and Storage add their tag', async () => {
    expect(await tstats('| tstats count from datamodel=Web', WEB)).toEqual([{ count: '4' }]);
    expect(await tstats('| tstats count from datamodel=Web.Web', WEB)).toEqual([{ count: '4' }]);
    expect(await tstats('| tstats count from datamodel=Web.Proxy', WEB)).toEqual([{ count: '2' }]);
    expect(await tstats('| tstats count from datamodel=Web where nodename=Web.Proxy', WEB)).toEqual([{ count: '2' }]);
    expect(await tstats('| tstats count from datamodel=Web.Storage', WEB)).toEqual([{ count: '1' }]);
    // The web-only event (nginx) is in Web, in neither child.
    expect(await tstats('| tstats count from datamodel=Web where nodename=Web.Proxy by Web.src', WEB)).toEqual([
      { 'Web.src': '10.0.0.1', count: '1' },
      { 'Web.src': 'unknown', count: '1' },
    ]);
    expect(await tstats('| tstats count from datamodel=Web by Web.src', WEB)).toEqual([
      { 'Web.src': '10.0.0.1', count: '1' },
      { 'Web.src': '10.0.0.2', count: '1' },
      { 'Web.src': '10.0.0.3', count: '1' },
      { 'Web.src': 'unknown', count: '1' },
    ]);
  });

  it('computes CIM\'s calculated fields: fills (with "-"), bytes, url_domain, lengths', async () => {
    const spl =
      '| tstats fillnull_value="NULL" count from datamodel=Web by Web.url Web.url_domain Web.url_length Web.http_referrer_domain ' +
      'Web.http_user_agent Web.http_user_agent_length Web.bytes Web.dest Web.status Web.http_method Web.action Web.user | `drop_dm_object_name(Web)`';
    expect(await tstats(spl, WEB)).toEqual([
      { url: '/index.php', url_domain: 'NULL', url_length: '10', http_referrer_domain: 'ref.example.net', http_user_agent: 'unknown', http_user_agent_length: '7', bytes: 'NULL', dest: 'web01', status: 'unknown', http_method: 'unknown', action: 'unknown', user: 'unknown', count: '1' },
      { url: 'http://user:pw@evil.example.com:8080/a?b=1', url_domain: 'evil.example.com', url_length: '42', http_referrer_domain: 'NULL', http_user_agent: 'curl/8.0', http_user_agent_length: '8', bytes: '150', dest: 'unknown', status: '200', http_method: 'unknown', action: 'unknown', user: 'unknown', count: '1' },
      { url: 'https://bucket.s3.amazonaws.com/key', url_domain: 'bucket.s3.amazonaws.com', url_length: '35', http_referrer_domain: 'NULL', http_user_agent: 'unknown', http_user_agent_length: '7', bytes: 'NULL', dest: 'unknown', status: 'unknown', http_method: 'unknown', action: 'unknown', user: 'unknown', count: '1' },
      { url: 'https://good.example.org/x', url_domain: 'good.example.org', url_length: '26', http_referrer_domain: 'NULL', http_user_agent: 'unknown', http_user_agent_length: '7', bytes: '500', dest: 'unknown', status: '404', http_method: 'GET', action: 'unknown', user: 'unknown', count: '1' },
    ]);
  });

  it('Storage has its own fields, with the root prefix; WHERE on a calculated field', async () => {
    expect(await tstats('| tstats count from datamodel=Web.Storage by Web.storage_name Web.operation', WEB)).toEqual([
      { 'Web.storage_name': 'bucket', 'Web.operation': 'REST.GET.OBJECT', count: '1' },
    ]);
    expect(await tstats('| tstats count from datamodel=Web where Web.url_domain="*.example.*" by Web.url_domain', WEB)).toEqual([
      { 'Web.url_domain': 'evil.example.com', count: '1' },
      { 'Web.url_domain': 'good.example.org', count: '1' },
    ]);
  });
});

describe('bundled CIM Email data model', () => {
  it('counts each dataset by its constraint: All_Email = tag email, Delivery/Content/Filtering add theirs', async () => {
    expect(await tstats('| tstats count from datamodel=Email', EMAIL)).toEqual([{ count: '3' }]);
    expect(await tstats('| tstats count from datamodel=Email.All_Email', EMAIL)).toEqual([{ count: '3' }]);
    expect(await tstats('| tstats count from datamodel=Email.Delivery', EMAIL)).toEqual([{ count: '1' }]);
    expect(await tstats('| tstats count from datamodel=Email.Content', EMAIL)).toEqual([{ count: '1' }]);
    expect(await tstats('| tstats count from datamodel=Email where nodename=All_Email.Filtering', EMAIL)).toEqual([{ count: '1' }]);
    expect(await tstats('| tstats count from datamodel=Email by All_Email.src_user', EMAIL)).toEqual([
      { 'All_Email.src_user': 'alice@corp.example', count: '1' },
      { 'All_Email.src_user': 'mallory@evil.example', count: '1' },
      { 'All_Email.src_user': 'unknown', count: '1' },
    ]);
  });

  it('computes CIM\'s calculated fields: fills, recipient_count, the sender and recipient domains', async () => {
    const spl =
      '| tstats fillnull_value="NULL" count from datamodel=Email by All_Email.src_user All_Email.src_user_domain All_Email.recipient_count ' +
      'All_Email.recipient_domain All_Email.action All_Email.dest All_Email.src | `drop_dm_object_name(All_Email)`';
    expect(await tstats(spl, EMAIL)).toEqual([
      { src_user: 'alice@corp.example', src_user_domain: 'corp.example', recipient_count: '1', recipient_domain: 'partner.example', action: 'delivered', dest: 'unknown', src: 'unknown', count: '1' },
      { src_user: 'mallory@evil.example', src_user_domain: 'evil.example', recipient_count: '1', recipient_domain: 'corp.example', action: 'blocked', dest: 'unknown', src: 'unknown', count: '1' },
      { src_user: 'unknown', src_user_domain: 'NULL', recipient_count: '1', recipient_domain: 'NULL', action: 'unknown', dest: 'unknown', src: 'unknown', count: '1' },
    ]);
  });

  it('Filtering\'s own fields keep the All_Email prefix; a child\'s rows are its parent\'s rows', async () => {
    expect(await tstats('| tstats count from datamodel=Email.Filtering by All_Email.signature All_Email.filter_score All_Email.recipient', EMAIL)).toEqual([
      { 'All_Email.signature': 'phish', 'All_Email.filter_score': '90', 'All_Email.recipient': 'bob@corp.example', count: '1' },
    ]);
    expect(await tstats('| tstats count from datamodel=Email.Delivery by All_Email.recipient All_Email.subject', EMAIL)).toEqual([
      { 'All_Email.recipient': 'bob@partner.example', 'All_Email.subject': 'hi', count: '1' },
    ]);
  });

  it('over a multivalue recipient (a TA aliasing JSON recipient{} to recipient): every value, the first domain, the count', async () => {
    // JSON arrays are `recipient{}` fields (KV_MODE=json), so no event above has a multivalue recipient: run
    // the model's own calculations, in order, over one made with split().
    const r = pack.dataModels.resolve('Email', 'All_Email');
    if (!r.ok) throw new Error(r.message);
    const calc = (f: string) => r.dataset.calculations.find((c) => c.output.name === f)!.expression;
    const spl =
      '| makeresults | eval recipient=split("bob@partner.example,carol@corp.example",",") ' +
      ['recipient', 'recipient_domain', 'recipient_count'].map((f) => `| eval ${f}=${calc(f)} `).join('') +
      '| table recipient recipient_domain recipient_count';
    expect(await rows(pack, spl, [])).toEqual([{ recipient: ['bob@partner.example', 'carol@corp.example'], recipient_domain: 'partner.example', recipient_count: '2' }]);
  });
});

describe('bundled Web and Email definitions', () => {
  it('have CIM\'s datasets, one root each (so `from datamodel=Web` / `=Email` need no dataset)', () => {
    expect(pack.dataModels.get('Web')!.datasets.map((d) => d.name)).toEqual(['Web', 'Proxy', 'Storage']);
    expect(pack.dataModels.get('Email')!.datasets.map((d) => d.name)).toEqual(['All_Email', 'Delivery', 'Content', 'Filtering']);
    const web = pack.dataModels.resolve('Web', null);
    const email = pack.dataModels.resolve('Email', null);
    if (!web.ok || !email.ok) throw new Error('no single root');
    expect([web.dataset.prefix, email.dataset.prefix]).toEqual(['Web', 'All_Email']);
  });

  it('compile without problems', () => {
    const problems = pack.knowledge.checkDataModels().filter((p) => /Web|Email/.test(p.file));
    expect(problems).toEqual([]);
  });
});
