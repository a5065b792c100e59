import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MacroLibrary } from '../../../src/spl/macros/macros.js';
import { plan, unknownDatasetFields } from '../../../src/spl/index.js';
import { ESCU_CORPUS_DIR } from '../../helpers.js';
import { packWith, rows } from './helpers.js';

/**
 * The bundled CIM Authentication, Change and Network_Resolution models (content/datamodels/) over hand-written
 * JSON events that test event types tag as CIM asks (Tetragon has no such events). Every expected count is
 * worked out from CIM 8.5's constraints and calculated fields, written next to each case:
 * Authentication = `tag=authentication NOT (action=success user=*$)`, Failed_ = `action="failure" OR
 * result="failure"`, Successful_ = the same with success, Default_/Insecure_/Privileged_ = tag default /
 * insecure or cleartext / privileged, their Failed_/Successful_ children `action=`; Change's All_Changes =
 * `tag=change` with children by tag (audit, endpoint, network, account, instance) and by action/result;
 * DNS = `tag=network tag=resolution tag=dns`.
 */
const pack = packWith({
  'eventtypes/t_auth.yml': 'name: t_auth\nsearch: sourcetype=t:auth\ntags: [authentication]\n',
  'eventtypes/t_auth_sudo.yml': 'name: t_auth_sudo\nsearch: sourcetype=t:auth app=sudo\ntags: [privileged]\n',
  'eventtypes/t_auth_default.yml': 'name: t_auth_default\nsearch: sourcetype=t:auth user=root\ntags: [default]\n',
  'eventtypes/t_auth_telnet.yml': 'name: t_auth_telnet\nsearch: sourcetype=t:auth app=telnet\ntags: [cleartext]\n',
  'eventtypes/t_change.yml': 'name: t_change\nsearch: sourcetype=t:change OR sourcetype=audittrail\ntags: [change]\n',
  'eventtypes/t_change_account.yml': 'name: t_change_account\nsearch: sourcetype=t:change object_category=user\ntags: [account]\n',
  'eventtypes/t_change_endpoint.yml': 'name: t_change_endpoint\nsearch: sourcetype=t:change object_category=host\ntags: [endpoint]\n',
  'eventtypes/t_change_instance.yml': 'name: t_change_instance\nsearch: sourcetype=t:change object_category=instance\ntags: [instance]\n',
  'eventtypes/t_change_audit.yml': 'name: t_change_audit\nsearch: sourcetype=t:change object_category=audit_policy\ntags: [audit]\n',
  'eventtypes/t_dns.yml': 'name: t_dns\nsearch: sourcetype=t:dns\ntags: [network, resolution, dns]\n',
});

const T = 1_700_000_000;
const ev = (sourcetype: string) => (i: number, o: Record<string, unknown>) => ({ _time: T + i, sourcetype, _raw: JSON.stringify(o) });
const auth = ev('t:auth');
const AUTH = [
  auth(1, { user: 'alice', src: '10.0.0.1', action: 'failure', app: 'sshd' }), // Failed
  auth(2, { user: 'bob', src: '10.0.0.2', action: 'success', app: 'sshd' }), // Successful
  auth(3, { user: 'HOST1$', action: 'success', app: 'win:local' }), // a machine account's success: in no dataset
  auth(4, { user: 'HOST1$', action: 'failure', app: 'win:local' }), // its failure is: Failed
  auth(5, { user: 'carol', action: 'success', app: 'sudo' }), // Successful, Privileged, Successful_Privileged
  auth(6, { user: 'dave', action: 'failure', app: 'sudo' }), // Failed, Privileged, Failed_Privileged
  auth(7, { user: 'eve', action: 'success', app: 'telnet' }), // Successful, Insecure
  auth(8, { user: 'root', action: 'failure', app: 'sshd' }), // Failed, Default, Failed_Default
  auth(9, { user: 'frank', result: 'failure' }), // no action ("unknown"): Failed through result only
  auth(10, { src: '10.0.0.9' }), // no user, action, app: "unknown", "unknown", the sourcetype
  { _time: T + 11, sourcetype: 'other', _raw: JSON.stringify({ user: 'mallory', action: 'failure' }) }, // not tagged
];

describe('CIM Authentication', () => {
  const count = async (dataset: string) => (await rows(pack, `| tstats count from datamodel=Authentication.${dataset}`, AUTH))[0]!.count;

  it('counts each dataset as its constraint chain says', async () => {
    expect(await count('Authentication')).toBe('9'); // all tagged events but the machine account's success
    expect(await count('Failed_Authentication')).toBe('5'); // alice, HOST1$ failure, dave, root, frank (result)
    expect(await count('Successful_Authentication')).toBe('3'); // bob, carol, eve
    expect(await count('Privileged_Authentication')).toBe('2');
    expect(await count('Failed_Privileged_Authentication')).toBe('1');
    expect(await count('Successful_Privileged_Authentication')).toBe('1');
    expect(await count('Default_Authentication')).toBe('1');
    expect(await count('Failed_Default_Authentication')).toBe('1');
    expect(await count('Successful_Default_Authentication')).toBe('0');
    expect(await count('Insecure_Authentication')).toBe('1');
  });

  it('fills action, user, src, dest with "unknown" and app with the sourcetype; fields keep the root prefix in a child', async () => {
    expect(await rows(pack, '| tstats count from datamodel=Authentication where Authentication.src=10.0.0.9 by Authentication.user Authentication.action Authentication.app Authentication.dest', AUTH)).toEqual([
      { 'Authentication.user': 'unknown', 'Authentication.action': 'unknown', 'Authentication.app': 't:auth', 'Authentication.dest': 'unknown', count: '1' },
    ]);
    // ESCU's form: nodename= selects the child; its fields are still Authentication.*.
    expect(await rows(pack, '| tstats count from datamodel=Authentication where nodename=Authentication.Failed_Authentication by "Authentication.user"', AUTH)).toEqual([
      { 'Authentication.user': 'HOST1$', count: '1' },
      { 'Authentication.user': 'alice', count: '1' },
      { 'Authentication.user': 'dave', count: '1' },
      { 'Authentication.user': 'frank', count: '1' },
      { 'Authentication.user': 'root', count: '1' },
    ]);
    // A successful login is not in Failed_Authentication, a failed one not in Successful_Authentication.
    expect(await rows(pack, '| tstats count from datamodel=Authentication.Successful_Authentication where Authentication.user=alice', AUTH)).toEqual([{ count: '0' }]);
    expect(await rows(pack, '| tstats count from datamodel=Authentication.Failed_Authentication where Authentication.user=bob', AUTH)).toEqual([{ count: '0' }]);
  });
});

const change = ev('t:change');
const CHANGE = [
  change(1, { action: 'created', object_category: 'user', user: 'newuser', src_user: 'admin', dest: 'dc1' }), // Accounts_Created
  change(2, { result: 'lockout', object_category: 'user', user: 'alice' }), // Account_Lockouts (action "unknown")
  change(3, { action: 'modified', object_category: 'user', user: 'bob' }), // Accounts_Updated
  change(4, { action: 'modified', change_type: 'restart', object_category: 'host', dest: 'web1' }), // Endpoint_Restarts
  change(5, { action: 'stopped', object_category: 'host', dest: 'web2' }), // Other_Endpoint_Changes (change_type "unknown")
  change(6, { action: 'created', object_category: 'instance', image_id: 'ami-1', user: 'ops' }), // Instance_Changes
  change(7, { action: 'modified', object_category: 'audit_policy', signature: 'Audit policy changed', signature_id: '4719' }), // Auditing_Changes
  { _time: T + 8, sourcetype: 'audittrail', _raw: JSON.stringify({ command: 'x', Operation: 'edit', ObjectName: 'savedsearch' }) },
];

describe('CIM Change', () => {
  const count = async (dataset: string) => (await rows(pack, `| tstats count from datamodel=Change.${dataset}`, CHANGE))[0]!.count;

  it('counts each dataset as its constraint chain says', async () => {
    expect(await count('All_Changes')).toBe('8');
    expect(await count('Account_Management')).toBe('3');
    expect(await count('Accounts_Created')).toBe('1');
    expect(await count('Accounts_Deleted')).toBe('0');
    expect(await count('Account_Lockouts')).toBe('1');
    expect(await count('Accounts_Updated')).toBe('1'); // action=updated OR action=modified
    expect(await count('Endpoint_Changes')).toBe('2');
    expect(await count('Endpoint_Restarts')).toBe('1');
    expect(await count('Other_Endpoint_Changes')).toBe('1'); // NOT change_type=restart: "unknown" is not restart
    expect(await count('Instance_Changes')).toBe('1');
    expect(await count('Auditing_Changes')).toBe('1');
    expect(await count('Network_Changes')).toBe('0');
    expect(await count('Device_Restarts')).toBe('0');
  });

  it('from datamodel=Change reads All_Changes; result/result_id fall back to signature, then "unknown" and -1', async () => {
    expect(await rows(pack, '| tstats count from datamodel=Change by All_Changes.object_category All_Changes.result All_Changes.result_id All_Changes.action', CHANGE)).toEqual([
      { 'All_Changes.object_category': 'audit_policy', 'All_Changes.result': 'Audit policy changed', 'All_Changes.result_id': '4719', 'All_Changes.action': 'modified', count: '1' },
      { 'All_Changes.object_category': 'host', 'All_Changes.result': 'unknown', 'All_Changes.result_id': '-1', 'All_Changes.action': 'modified', count: '1' },
      { 'All_Changes.object_category': 'host', 'All_Changes.result': 'unknown', 'All_Changes.result_id': '-1', 'All_Changes.action': 'stopped', count: '1' },
      { 'All_Changes.object_category': 'instance', 'All_Changes.result': 'unknown', 'All_Changes.result_id': '-1', 'All_Changes.action': 'created', count: '1' },
      { 'All_Changes.object_category': 'unknown', 'All_Changes.result': 'unknown', 'All_Changes.result_id': '-1', 'All_Changes.action': 'unknown', count: '1' },
      { 'All_Changes.object_category': 'user', 'All_Changes.result': 'lockout', 'All_Changes.result_id': '-1', 'All_Changes.action': 'unknown', count: '1' },
      { 'All_Changes.object_category': 'user', 'All_Changes.result': 'unknown', 'All_Changes.result_id': '-1', 'All_Changes.action': 'created', count: '1' },
      { 'All_Changes.object_category': 'user', 'All_Changes.result': 'unknown', 'All_Changes.result_id': '-1', 'All_Changes.action': 'modified', count: '1' },
    ]);
    // Splunk's audit trail names its command by Operation and ObjectName.
    expect(await rows(pack, '| tstats count from datamodel=Change where sourcetype=audittrail by All_Changes.command', CHANGE)).toEqual([{ 'All_Changes.command': 'edit savedsearch', count: '1' }]);
  });

  it('a field a child declares is named with the path to that child, as ESCU reads All_Changes.Instance_Changes.image_id', async () => {
    expect(await rows(pack, '| tstats count from datamodel=Change.Account_Management by All_Changes.user All_Changes.Account_Management.src_user', CHANGE)).toEqual([
      { 'All_Changes.user': 'alice', 'All_Changes.Account_Management.src_user': 'unknown', count: '1' },
      { 'All_Changes.user': 'bob', 'All_Changes.Account_Management.src_user': 'unknown', count: '1' },
      { 'All_Changes.user': 'newuser', 'All_Changes.Account_Management.src_user': 'admin', count: '1' },
    ]);
    expect(await rows(pack, '| tstats count from datamodel=Change where nodename=All_Changes.Instance_Changes by All_Changes.Instance_Changes.image_id All_Changes.Instance_Changes.instance_type', CHANGE)).toEqual([
      { 'All_Changes.Instance_Changes.image_id': 'ami-1', 'All_Changes.Instance_Changes.instance_type': 'unknown', count: '1' },
    ]);
    // `datamodel ... search` rows show Splunk's names, `flat` none.
    expect(await rows(pack, '| datamodel Change Accounts_Created search | table All_Changes.user All_Changes.Account_Management.src_user All_Changes.src_user', CHANGE)).toEqual([
      { 'All_Changes.user': 'newuser', 'All_Changes.Account_Management.src_user': 'admin' },
    ]);
    expect(await rows(pack, '| datamodel Change Accounts_Created flat | table user src_user', CHANGE)).toEqual([{ user: 'newuser', src_user: 'admin' }]);
    // tstats also takes the root's prefix for a child's field (vigil's earlier naming; decision in docs/spl.md).
    expect(await rows(pack, '| tstats count from datamodel=Change.Account_Management where All_Changes.src_user=admin', CHANGE)).toEqual([{ count: '1' }]);
  });
});

const dns = ev('t:dns');
const DNS = [
  // (A JSON array would be the field answer{}, not answer: a TA maps it; these events carry one answer each.)
  dns(1, { src: '10.0.0.5', query: 'example.com', answer: '93.184.216.34', reply_code_id: '0', message_type: 'Response', record_type: 'A' }),
  dns(2, { src: '10.0.0.5', query: 'nope.example.com', reply_code: 'NXDomain', message_type: 'Response', record_type: 'A' }),
  dns(3, { src: '10.0.0.6', reply_code_id: 'NXDOMAIN' }), // not a row of the reply code table (case-sensitive): no reply_code
  dns(4, { src: '10.0.0.6', query: 'x.example.com', reply_code_id: '3900', answer_count: 0 }), // private-use code; answer_count as given
  { _time: T + 5, sourcetype: 'other', _raw: JSON.stringify({ query: 'example.com' }) },
];

describe('CIM Network_Resolution', () => {
  it('from datamodel=Network_Resolution reads DNS: answer and query filled and counted (1 when absent), reply_code looked up', async () => {
    expect(await rows(pack, '| tstats count from datamodel=Network_Resolution by DNS.src DNS.query DNS.answer_count DNS.query_count DNS.reply_code_id DNS.reply_code', DNS)).toEqual([
      { 'DNS.src': '10.0.0.5', 'DNS.query': 'example.com', 'DNS.answer_count': '1', 'DNS.query_count': '1', 'DNS.reply_code_id': '0', 'DNS.reply_code': 'No Error', count: '1' },
      { 'DNS.src': '10.0.0.5', 'DNS.query': 'nope.example.com', 'DNS.answer_count': '1', 'DNS.query_count': '1', 'DNS.reply_code_id': 'NXDomain', 'DNS.reply_code': 'Non-Existent Domain', count: '1' },
      { 'DNS.src': '10.0.0.6', 'DNS.query': 'x.example.com', 'DNS.answer_count': '0', 'DNS.query_count': '1', 'DNS.reply_code_id': '3900', 'DNS.reply_code': 'Reserved for Private Use', count: '1' },
    ]);
    // The NXDOMAIN event has no reply_code: dropped above, "null" with ESCU's fillnull_value; its query is "unknown".
    expect(await rows(pack, '| tstats fillnull_value=null count from datamodel=Network_Resolution where DNS.src=10.0.0.6 by DNS.query DNS.reply_code', DNS)).toEqual([
      { 'DNS.query': 'unknown', 'DNS.reply_code': 'null', count: '1' },
      { 'DNS.query': 'x.example.com', 'DNS.reply_code': 'Reserved for Private Use', count: '1' },
    ]);
  });

  it('runs the forms ESCU uses: values(DNS.answer), nodename=DNS, quoted field names', async () => {
    expect(await rows(pack, '| tstats count values(DNS.answer) as answer from datamodel=Network_Resolution by DNS.query | where count>0', DNS)).toEqual([
      { 'DNS.query': 'example.com', count: '1', answer: '93.184.216.34' },
      { 'DNS.query': 'nope.example.com', count: '1', answer: 'unknown' },
      { 'DNS.query': 'unknown', count: '1', answer: 'unknown' },
      { 'DNS.query': 'x.example.com', count: '1', answer: 'unknown' },
    ]);
    expect(await rows(pack, '| tstats count from datamodel=Network_Resolution where nodename=DNS "DNS.reply_code"!="No Error" "DNS.query"="*.*" by "DNS.src" "DNS.reply_code"', DNS)).toEqual([
      { 'DNS.src': '10.0.0.5', 'DNS.reply_code': 'Non-Existent Domain', count: '1' },
      { 'DNS.src': '10.0.0.6', 'DNS.reply_code': 'Reserved for Private Use', count: '1' },
    ]);
  });
});

describe('the three models as content', () => {
  it('have CIM\'s datasets and parents, and compile without problems', () => {
    const tree = (model: string) => pack.dataModels.get(model)!.datasets.map((d) => (d.parent ? `${d.parent}>${d.name}` : d.name));
    expect(tree('Authentication')).toEqual([
      'Authentication',
      'Authentication>Failed_Authentication',
      'Authentication>Successful_Authentication',
      'Authentication>Default_Authentication',
      'Default_Authentication>Failed_Default_Authentication',
      'Default_Authentication>Successful_Default_Authentication',
      'Authentication>Insecure_Authentication',
      'Authentication>Privileged_Authentication',
      'Privileged_Authentication>Failed_Privileged_Authentication',
      'Privileged_Authentication>Successful_Privileged_Authentication',
    ]);
    expect(tree('Change')).toEqual([
      'All_Changes',
      'All_Changes>Auditing_Changes',
      'All_Changes>Endpoint_Changes',
      'Endpoint_Changes>Endpoint_Restarts',
      'Endpoint_Changes>Other_Endpoint_Changes',
      'All_Changes>Network_Changes',
      'Network_Changes>Device_Restarts',
      'All_Changes>Account_Management',
      'Account_Management>Accounts_Created',
      'Account_Management>Accounts_Deleted',
      'Account_Management>Account_Lockouts',
      'Account_Management>Accounts_Updated',
      'All_Changes>Instance_Changes',
    ]);
    expect(tree('Network_Resolution')).toEqual(['DNS']);
    expect(pack.knowledge.checkDataModels()).toEqual([]);
    // CIM's calculation order: Change computes action last, DNS fills answer before counting it.
    const calcs = (model: string, dataset: string) => {
      const r = pack.dataModels.resolve(model, dataset);
      if (!r.ok) throw new Error(r.message);
      return r.dataset.calculations.map((c) => c.output.name);
    };
    expect(calcs('Change', 'All_Changes').at(-1)).toBe('action');
    expect(calcs('Network_Resolution', 'DNS')).toEqual(['answer', 'answer_count', 'dest', 'message_type', 'query', 'query_count', 'reply_code_id', 'reply_code', 'vendor_product']);
    const r = pack.dataModels.resolve('Change', 'Accounts_Created');
    if (!r.ok) throw new Error(r.message);
    expect([r.dataset.names.get('user'), r.dataset.names.get('src_user')]).toEqual(['All_Changes.user', 'All_Changes.Account_Management.src_user']);
  });

  it('reads a descendant\'s own field over an ancestor, valued on that dataset\'s events only (ESCU\'s Previously Unseen Image)', async () => {
    // Splunk's tstats over a root reads its children's fields too: ESCU's "Cloud Compute Instance Created With
    // Previously Unseen Image" groups `from datamodel=Change` by All_Changes.Instance_Changes.image_id. Of CHANGE, two
    // events are created: the account (not in Instance_Changes: no image_id, its row dropped) and the instance.
    expect(
      await rows(
        pack,
        '| tstats count earliest(_time) as firstTime, latest(_time) as lastTime values(All_Changes.object_id) as dest from datamodel=Change where All_Changes.action=created by All_Changes.Instance_Changes.image_id, All_Changes.user | `drop_dm_object_name("All_Changes")` | `drop_dm_object_name("Instance_Changes")`',
        CHANGE,
      ),
    ).toEqual([{ image_id: 'ami-1', user: 'ops', count: '1', firstTime: String(T + 6), lastTime: String(T + 6), dest: 'unknown' }]);
    // With fillnull_value the others count under "null"; a WHERE on a child's field keeps its events only; a
    // grandchild's field (Accounts_Created is below Account_Management) is read the same way.
    expect(await rows(pack, '| tstats fillnull_value=null count from datamodel=Change by All_Changes.Account_Management.src_user', CHANGE)).toEqual([
      { 'All_Changes.Account_Management.src_user': 'admin', count: '1' },
      { 'All_Changes.Account_Management.src_user': 'null', count: '5' },
      { 'All_Changes.Account_Management.src_user': 'unknown', count: '2' },
    ]);
    expect(await rows(pack, '| tstats count from datamodel=Change where All_Changes.Account_Management.src_user=unknown by All_Changes.user', CHANGE)).toEqual([
      { 'All_Changes.user': 'alice', count: '1' },
      { 'All_Changes.user': 'bob', count: '1' },
    ]);
    expect(await rows(pack, '| tstats count from datamodel=Change.Account_Management where All_Changes.Account_Management.src_user!=nobody by All_Changes.action', CHANGE)).toEqual([
      { 'All_Changes.action': 'created', count: '1' },
      { 'All_Changes.action': 'modified', count: '1' },
      { 'All_Changes.action': 'unknown', count: '1' },
    ]);
  });

  it('lint: a descendant\'s field is the dataset\'s, a sibling\'s is not, and a child field without its root finds it', () => {
    const unknown = (spl: string) => unknownDatasetFields(plan(spl, { macros: pack.macros, knowledge: pack.knowledge, now: 0 }));
    expect(unknown('| tstats count from datamodel=Change where All_Changes.Account_Management.src_user=x by All_Changes.Instance_Changes.image_id')).toEqual([]);
    expect(unknown('| tstats count from datamodel=Change.Account_Management by All_Changes.Instance_Changes.image_id Account_Management.src_user Instance_Changes.image_id')).toEqual([
      { name: 'All_Changes.Instance_Changes.image_id', hint: null },
      { name: 'Account_Management.src_user', hint: 'All_Changes.Account_Management.src_user' },
      { name: 'Instance_Changes.image_id', hint: null },
    ]);
    expect(unknown('| tstats count from datamodel=Change by Instance_Changes.image_id')).toEqual([{ name: 'Instance_Changes.image_id', hint: 'All_Changes.Instance_Changes.image_id' }]);
    expect(unknown('| tstats count from datamodel=Change.Account_Management by All_Changes.Account_Management.src_user All_Changes.src_user')).toEqual([]);
  });
});

/** ESCU searches over these models, verbatim from the 2024-10 corpus (in ../shared, not copied here), with ESCU's macros. */
const corpus = existsSync(join(ESCU_CORPUS_DIR, 'searches.jsonl'));
describe.skipIf(!corpus)('ESCU detections over Authentication, Change and Network_Resolution', () => {
  const searches = new Map<string, string>();
  const macros = new MacroLibrary().with(pack.macros.all());
  if (corpus) {
    for (const l of readFileSync(join(ESCU_CORPUS_DIR, 'searches.jsonl'), 'utf8').trim().split('\n')) {
      const s = JSON.parse(l) as { name: string; search: string };
      searches.set(s.name, s.search);
      macros.defineDefault({ name: `${s.name.toLowerCase().replace(/[^a-z0-9]/g, '_')}_filter`, args: [], definition: 'search *' });
    }
    for (const l of readFileSync(join(ESCU_CORPUS_DIR, 'macros.jsonl'), 'utf8').trim().split('\n')) {
      const m = JSON.parse(l) as { name: string; arguments: string[] | null; definition: string };
      macros.define({ name: m.name.replace(/\(\d+\)$/, ''), args: m.arguments ?? [], definition: m.definition });
    }
  }
  const run = (name: string, events: ReturnType<typeof auth>[]) => rows({ ...pack, macros }, searches.get(name)!, events);
  const ctime = (t: number) => new Date(t * 1000).toISOString().slice(0, 19);

  it('Detect Excessive User Account Lockouts: more than 5 lockouts of one user (result="*lock*")', async () => {
    const events = [...[0, 1, 2, 3, 4, 5].map((i) => change(20 + i, { result: 'lockout', user: 'alice' })), change(30, { result: 'lockout', user: 'bob' }), change(31, { result: 'unlocked', user: 'bob' })];
    expect(await run('Detect Excessive User Account Lockouts', events)).toEqual([{ user: 'alice', result: 'lockout', count: '6', firstTime: ctime(T + 20), lastTime: ctime(T + 25) }]);
  });

  it('AWS Credential Access Failed Login: no fillnull_value, so a login without user_id (a declared field) gives no row', async () => {
    const login = { app: 'AwsConsoleSignIn', signature: 'ConsoleLogin', action: 'failure', user: 'alice', src: '198.51.100.7' };
    const events = [auth(40, { ...login, user_id: 'AIDA1' }), auth(41, { ...login, user_id: 'AIDA1' }), auth(42, login), auth(43, { ...login, action: 'success', user_id: 'AIDA1' })];
    expect(await run('AWS Credential Access Failed Login', events)).toEqual([
      { app: 'AwsConsoleSignIn', signature: 'ConsoleLogin', dest: 'unknown', user: 'alice', action: 'failure', user_id: 'AIDA1', src: '198.51.100.7', count: '2', firstTime: ctime(T + 40), lastTime: ctime(T + 41) },
    ]);
  });

  it('Large Volume of DNS ANY Queries: more than 200 ANY queries to one server (nodename=DNS, quoted names)', async () => {
    const any = (i: number, dest: string) => dns(100 + i, { message_type: 'QUERY', record_type: 'ANY', query: 'example.com', dest });
    const events = [...Array.from({ length: 201 }, (_, i) => any(i, '192.0.2.53')), ...Array.from({ length: 200 }, (_, i) => any(i, '192.0.2.54'))];
    expect(await run('Large Volume of DNS ANY Queries', events)).toEqual([{ dest: '192.0.2.53', count: '201' }]);
  });
});
