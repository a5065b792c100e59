import { describe, expect, it } from 'vitest';
import { plan } from '../../../src/spl/index.js';
import { memorySource } from '../../helpers.js';
import { NOW, packWith, processExec, rows } from './helpers.js';

/** Event types and tags in any search: expanded at plan time, computed per event when read. */
const pack = packWith({
  'eventtypes/shop_order.yml': 'name: shop_order\nsearch: sourcetype=shop:order\ntags: [order]\n',
  'eventtypes/shop_refund.yml': 'name: shop_refund\nsearch: sourcetype=shop:order status=refunded\ntags: [refund, money]\n',
  // An event type built on another's tag.
  'eventtypes/shop_vip.yml': 'name: shop_vip\nsearch: tag=refund customer=carol\ntags: [vip]\n',
});
const order = (t: number, o: Record<string, unknown>) => ({ _time: t, sourcetype: 'shop:order', _raw: JSON.stringify(o) });
const EVENTS = [
  order(1, { customer: 'alice', status: 'paid' }),
  order(2, { customer: 'bob', status: 'refunded' }),
  order(3, { customer: 'carol', status: 'refunded' }),
  { _time: 4, sourcetype: 'other', _raw: JSON.stringify({ customer: 'dave' }) },
];
const count = async (spl: string) => (await rows(pack, `${spl} | stats count`, EVENTS))[0]!.count;

describe('tag and eventtype', () => {
  it('match in a leading search, case-insensitively and with wildcards', async () => {
    expect(await count('tag=order')).toBe('3');
    expect(await count('tag=ORDER')).toBe('3');
    expect(await count('tag=mon*')).toBe('2');
    expect(await count('tag IN (vip, nothing)')).toBe('1');
    expect(await count('eventtype=shop_refund')).toBe('2');
    expect(await count('eventtype=shop_*')).toBe('3');
    expect(await count('tag=nothing')).toBe('0');
  });

  it('NOT tag=x keeps untagged events; tag!=x needs a tag and none matching', async () => {
    expect(await count('NOT tag=refund')).toBe('2'); // alice, dave
    expect(await count('tag!=refund')).toBe('1'); // alice: tagged, not refund
    expect(await count('eventtype!=shop_refund')).toBe('1');
  });

  it('are fields of every event: read later in the pipeline and listed by table', async () => {
    expect(await count('* | search tag=refund')).toBe('2');
    expect(await count('* | where isnull(tag)')).toBe('1');
    expect(await rows(pack, 'customer=carol | table customer eventtype tag', EVENTS)).toEqual([
      { customer: 'carol', eventtype: ['shop_order', 'shop_refund', 'shop_vip'], tag: ['money', 'order', 'refund', 'vip'] },
    ]);
    // Assigned before the pipeline: a later eval does not change them.
    expect(await rows(pack, 'customer=alice | eval status="refunded" | table tag', EVENTS)).toEqual([{ tag: 'order' }]);
  });

  it('are expanded into the event types\' searches, so the planner pushes them down', () => {
    const p = plan('tag=order customer=alice', { macros: pack.macros, knowledge: pack.knowledge, now: NOW, source: memorySource([]) });
    expect(p.scan.metadata).toEqual([{ field: 'sourcetype', patterns: ['shop:order'] }]);
    // No event type has the tag: nothing can match, and the scan can skip every event.
    const none = plan('tag=nothing', { macros: pack.macros, knowledge: pack.knowledge, now: NOW });
    expect(none.scan.raw).toEqual({ kind: 'or', items: [] });
  });

  it('bundled Network_Traffic pushes its sourcetypes into the scan', () => {
    const bundled = packWith();
    const p = plan('| tstats count from datamodel=Network_Traffic.All_Traffic', { macros: bundled.macros, knowledge: bundled.knowledge, now: NOW });
    expect(p.scan.metadata).toEqual([{ field: 'sourcetype', patterns: ['cisco:isovalent:processConnect', 'cisco:isovalent'] }]);
  });

  it('without knowledge (no content), tag= matches nothing', async () => {
    expect((await rows(pack, 'tag=order | stats count', EVENTS, { knowledge: undefined }))[0]!.count).toBe('0');
  });

  it('bundled: Tetragon process_exec events are tagged process and report; exits are not', async () => {
    const bundled = packWith();
    const events = [
      processExec(10, { binary: '/usr/bin/id', pid: 7 }),
      { _time: 11, sourcetype: 'cisco:isovalent', _raw: JSON.stringify({ process_exit: { process: { binary: '/usr/bin/id', pid: 7 } } }) },
      {
        _time: 12,
        sourcetype: 'cisco:isovalent',
        _raw: JSON.stringify({ process_kprobe: { process: { binary: '/bin/rm', pid: 8 }, function_name: 'security_path_unlink', args: [{ path_arg: { path: '/etc/cron.d/x' } }] } }),
      },
      { _time: 13, sourcetype: 'cisco:isovalent:processConnect', _raw: JSON.stringify({ process_connect: { process: { binary: '/usr/bin/curl', pid: 9 }, destination_ip: '10.0.0.1' } }) },
      // security_socket_connect on an IP socket is a connection; on a Unix socket (family "1", "<nil>" addresses) not.
      ...['AF_INET', '1'].map((family, i) => ({
        _time: 14 + i,
        sourcetype: 'cisco:isovalent',
        _raw: JSON.stringify({
          process_kprobe: {
            process: { binary: '/app/server', pid: 10 },
            function_name: 'security_socket_connect',
            args: [{ sock_arg: { family, type: 'SOCK_STREAM', protocol: family === '1' ? 'IPPROTO_IP' : 'IPPROTO_TCP', saddr: family === '1' ? '<nil>' : '10.0.0.5', daddr: '<nil>' } }, { sockaddr_arg: { family, addr: family === '1' ? '<nil>' : '192.0.2.7', port: 443 } }],
          },
        }),
      })),
    ];
    expect(await rows(bundled, '* | table _time eventtype tag', events)).toEqual([
      { _time: '15' },
      { _time: '14', eventtype: 'cisco_isovalent_network_connect', tag: ['communicate', 'network'] },
      { _time: '13', eventtype: 'cisco_isovalent_network_connect', tag: ['communicate', 'network'] },
      { _time: '12', eventtype: 'cisco_isovalent_file_access', tag: ['endpoint', 'filesystem'] },
      { _time: '11', eventtype: 'cisco_isovalent_process_exit' },
      { _time: '10', eventtype: 'cisco_isovalent_process_exec', tag: ['process', 'report'] },
    ]);
  });

  it('give each event the fields of exactly the event types it matches (computed once per combination, also past 30 types)', async () => {
    const many = packWith(
      Object.fromEntries(Array.from({ length: 35 }, (_, i) => [`eventtypes/et${String(i).padStart(2, '0')}.yml`, `name: et${String(i).padStart(2, '0')}\nsearch: k${i}=1\ntags: [g${i % 3}]\n`])),
    );
    const ev = (t: number, keys: number[]) => ({ _time: t, sourcetype: 'kv', _raw: JSON.stringify(Object.fromEntries(keys.map((k) => [`k${k}`, 1]))) });
    const events = [ev(1, [0, 33]), ev(2, [1]), ev(3, [0, 33]), ev(4, []), ev(5, [33, 34, 3])];
    expect(await rows(many, '* | table _time eventtype tag', events)).toEqual([
      { _time: '5', eventtype: ['et03', 'et33', 'et34'], tag: ['g0', 'g1'] },
      { _time: '4' },
      { _time: '3', eventtype: ['et00', 'et33'], tag: 'g0' },
      { _time: '2', eventtype: 'et01', tag: 'g1' },
      { _time: '1', eventtype: ['et00', 'et33'], tag: 'g0' },
    ]);
  });
});
