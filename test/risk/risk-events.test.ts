import { describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import type { Detection } from '../../src/detections/detection.js';
import { Row } from '../../src/events/result.js';
import type { FieldValue } from '../../src/events/value.js';
import { messageTokens } from '../../src/detections/risk-message.js';
import { riskEventsFor } from '../../src/risk/risk-events.js';
import { riskEventsOfRun } from '../../src/schedule/outputs.js';
import { runSearch } from '../../src/spl/index.js';
import { runDetections } from '../../src/detections/run.js';
import { MemorySource } from '../../src/sources/memory.js';

const pack = loadContent();
const CURL = pack.detections.find((d) => d.name === 'Cisco Isovalent - Curl Execution With Insecure Flags')!;
const cron: Detection = { ...CURL, name: 'Linux Cron Job Test', mitreAttackIds: ['T1053.003'] };
const T = Date.UTC(2026, 10, 20) / 1000;
const ALL = { earliest: null, latest: null };
const row = (pod: string): Row => new Row([['_time', T], ['pod_name', pod], ['cluster_name', 'c1'], ['process_name', 'crontab']]);

describe('risk events: ATT&CK annotations', () => {
  // Splunk ES annotates risk events with ATT&CK technique ids, tactic ids and short names: ESCU's risk rules count
  // `All_Risk.annotations.mitre_attack.mitre_tactic_id` (12 searches of escu-2024-10, e.g. "AWS S3 Exfiltration
  // Behavior Identified": `where ... mitre_tactic_id_count>=2`) and filter `mitre_tactic IN ("persistence",
  // "privilege-escalation")` ("Linux Persistence and Privilege Escalation Risk Behavior").
  it('writes technique ids, tactic ids and ATT&CK short names', () => {
    const [ev] = riskEventsFor(cron, [row('pod-a')], T);
    expect(ev!.get('annotations.mitre_attack.mitre_tactic')).toEqual(['execution', 'persistence', 'privilege-escalation']);
    expect(ev!.get('annotations.mitre_attack.mitre_tactic_id')).toEqual(['TA0002', 'TA0003', 'TA0004']);
    expect(ev!.get('annotations.mitre_attack.mitre_technique_id')).toBe('T1053.003');
    const [curl] = riskEventsFor(CURL, [row('pod-a')], T);
    expect(curl!.get('annotations.mitre_attack.mitre_tactic')).toBe('command-and-control');
    expect(curl!.get('annotations.mitre_attack.mitre_tactic_id')).toBe('TA0011');
  });

  it("feeds ESCU's Linux Persistence and Privilege Escalation Risk Behavior (tstats over Risk.All_Risk)", async () => {
    const events = [...riskEventsOfRun(cron, [row('pod-a')], T, ALL), ...riskEventsOfRun(CURL, [row('pod-a')], T + 1, ALL)];
    // escu-2024-10 searches.jsonl, "Linux Persistence and Privilege Escalation Risk Behavior" (its where clause).
    const spl = `| tstats \`security_content_summariesonly\` dc(All_Risk.annotations.mitre_attack.mitre_tactic_id) as mitre_tactic_id_count
        values(All_Risk.annotations.mitre_attack.mitre_tactic_id) as tactic_ids dc(source) as source_count
      from datamodel=Risk.All_Risk
      where source = "*Linux*" All_Risk.annotations.mitre_attack.mitre_tactic IN ("persistence", "privilege-escalation")
        All_Risk.risk_object_type="system"
      by All_Risk.risk_object All_Risk.risk_object_type All_Risk.annotations.mitre_attack.mitre_tactic
      | \`drop_dm_object_name(All_Risk)\``;
    const { results } = await runSearch(spl, { source: new MemorySource(events), macros: pack.macros, knowledge: pack.knowledge, now: T + 60 });
    // The WHERE keeps the cron event (a multivalue matches when one value does); BY splits all its tactics; the
    // curl event (command-and-control) is not kept.
    expect(results.map((r) => [r.get('risk_object'), r.get('annotations.mitre_attack.mitre_tactic'), r.get('mitre_tactic_id_count')])).toEqual([
      ['pod-a', 'execution', 3],
      ['pod-a', 'persistence', 3],
      ['pod-a', 'privilege-escalation', 3],
    ]);
  });
});

describe('risk events: result fields', () => {
  // ES's risk action writes stash events with Splunk_SA_CIM's cim_actions.py result2stash: default_mapexp keeps
  // _time, host, source, sourcetype, index, splunk_server, tag, eventtype, search_name, ... as orig_<name>;
  // default_dropexp drops other _ fields, date_*, punct, sid, rid; an empty single value is not written; an
  // orig_<name> of the result is dropped when <name> is mapped over it.
  it('keeps reserved result fields as orig_* and drops what ES drops', async () => {
    const r = new Row([
      ['_time', T], ['pod_name', 'p'], ['orig_host', 'stale'], ['host', 'h1'], ['source', 's1'], ['sourcetype', 'st1'], ['index', 'main'],
      ['search_name', 'inner'], ['tag', ['process', 'report']], ['date_hour', 10], ['punct', '__'], ['_cd', '1:2'], ['empty', ''], ['kept', 'x'],
    ]);
    const events = riskEventsOfRun(CURL, [r], T, ALL);
    const fields = ['host', 'source', 'sourcetype', 'index', 'search_name', 'orig_host', 'orig_source', 'orig_sourcetype', 'orig_index', 'orig_search_name', 'orig_tag', 'orig_time', 'orig_cd', 'date_hour', 'punct', 'empty', 'kept'];
    const { results } = await runSearch(`index=risk | table ${fields.join(' ')}`, { source: new MemorySource(events), now: T + 60 });
    expect(fields.map((f) => results[0]!.get(f))).toEqual([
      'vigil', CURL.name, 'stash', 'risk', CURL.name, 'h1', 's1', 'st1', 'main', 'inner', ['process', 'report'], T, '1:2', null, null, null, 'x',
    ]);
  });
});

describe('risk events: the search information', () => {
  // ES's risk action writes each event with result2stash(risk_result, addinfo=True) (cim_actions.py): info_min_time
  // is the search's earliest ("0.000" when none), info_max_time its latest ("+Infinity" when none), info_search_time
  // its dispatch time, set over the result's own fields of those names.
  const r = () => new Row([['_time', T], ['pod_name', 'p'], ['info_min_time', 'mine'], ['info_search_time', 'mine']]);
  const info = (ev: Row) => ['info_min_time', 'info_max_time', 'info_search_time'].map((f) => ev.get(f));
  it("writes the search's range and time", () => {
    expect(info(riskEventsFor(CURL, [r()], T + 60, { earliest: T - 3600, latest: T })[0]!)).toEqual([T - 3600, T, T + 60]);
    expect(info(riskEventsFor(CURL, [r()], T + 60)[0]!)).toEqual([0, '+Infinity', T + 60]);
  });
  it('writes the window of a scheduled run', () => {
    const [ev] = riskEventsOfRun(CURL, [r()], T, { earliest: T - 4200, latest: T - 600 });
    expect(JSON.parse(ev!._raw)).toMatchObject({ info_min_time: T - 4200, info_max_time: T - 600, info_search_time: T });
  });
  it('writes the range of vigil run (--earliest/--latest, or the search\'s own)', async () => {
    const d: Detection = { ...CURL, search: '| makeresults | eval pod_name="p"' };
    const [run] = await runDetections(pack, [d], { source: new MemorySource([]), now: T, tz: 'UTC', earliest: '-1h', latest: T - 60 });
    expect(run!.window).toEqual({ earliest: T - 3600, latest: T - 60 });
  });
});

describe("risk events: the result's own risk fields", () => {
  // ES's risk action (ES's risk modular action and collectrisk command, RiskModularAction.dowork): a result's risk_object field is
  // used instead of the definition's field; its risk_object_type, risk_score (float(), 1.0 when invalid),
  // threat_object/threat_object_type and risk_message (tokens expanded; a multivalue's values joined by "\n")
  // replace the definition's; an empty risk object value writes no event.
  const one = (fields: [string, FieldValue][]) => riskEventsFor(CURL, [new Row([['_time', T], ['cluster_name', 'c1'], ['process_name', 'curl'], ...fields])], T);
  it('uses the result fields over the definition', () => {
    const [ev] = one([['pod_name', 'p'], ['risk_object', 'other-pod'], ['risk_object_type', 'other'], ['risk_score', '7'], ['threat_object', 'x'], ['threat_object_type', 'file_name'], ['risk_message', ['on $risk_object$', 'in $cluster_name$']]]);
    expect(['risk_object', 'risk_object_type', 'risk_score', 'threat_object', 'threat_object_type', 'risk_message'].map((f) => ev!.get(f))).toEqual([
      'other-pod', 'other', 7, 'x', 'file_name', 'on other-pod\nin c1',
    ]);
    expect(one([['pod_name', 'p'], ['risk_score', 'high']])[0]!.get('risk_score')).toBe(1);
    expect(one([['pod_name', 'p'], ['risk_message', ['', 'on $pod_name$', '']]])[0]!.get('risk_message')).toBe('on p');
  });
  it("renders $risk_object$, $risk_object_type$ and $risk_score$ as the event's own", () => {
    const d: Detection = { ...CURL, riskObjects: [{ field: 'pod_name', type: 'system', score: 20, message: '$risk_object$ ($risk_object_type$, $risk_score$) of $pod_name$' }] };
    const events = riskEventsFor(d, [new Row([['pod_name', ['a', 'b']]])], T);
    expect(events.map((e) => e.get('risk_message'))).toEqual(['a (system, 20) of a, b', 'b (system, 20) of a, b']);
  });
  it('an empty single risk object value makes no event; an empty value of a multivalue one, as ES parse_mv keeps it', () => {
    const d: Detection = { ...CURL, riskObjects: [{ field: 'pod_name', type: 'system', score: 20, message: 'on $risk_object$' }] };
    expect(riskEventsFor(d, [new Row([['pod_name', '']])], T)).toEqual([]);
    expect(riskEventsFor(d, [new Row([['pod_name', ['a', '', 'b']]])], T).map((e) => e.get('risk_object'))).toEqual(['a', '', 'b']);
  });
  it('renders $$ as one literal dollar sign, the escape Splunk substitutes in saved searches', () => {
    const d: Detection = { ...CURL, riskObjects: [{ field: 'pod_name', type: 'system', score: 20, message: 'cost $$5, $$$pod_name$, $$pod_name$ and $$$$ of $cost$' }] };
    const [ev] = riskEventsFor(d, [new Row([['pod_name', 'p'], ['cost', '$$9']])], T);
    // A value's own dollars are written as they are: only the template is read for tokens.
    expect(ev!.get('risk_message')).toBe('cost $5, $p, $pod_name$ and $$ of $$9');
    expect(messageTokens('cost $$5, $$$pod_name$, $$user$ and $dest$')).toEqual(['pod_name', 'dest']);
  });
  it("takes the definition's risk and threat fields when the result's own are empty (ES: result.get() fails on \"\")", () => {
    const [ev] = one([['pod_name', 'p'], ['risk_object', ''], ['risk_object_type', ''], ['threat_object', ''], ['threat_object_type', '']]);
    expect(['risk_object', 'risk_object_type', 'threat_object', 'threat_object_type'].map((f) => ev?.get(f))).toEqual(['p', 'system', 'curl', 'process_name']);
  });
  it("renders $threat_object$ and $threat_object_type$ as the event's own (ES sets them before expanding the message)", () => {
    const d: Detection = { ...CURL, riskObjects: [{ field: 'pod_name', type: 'system', score: 20, message: '$threat_object$ ($threat_object_type$) on $risk_object$' }] };
    expect(riskEventsFor(d, [new Row([['pod_name', 'p'], ['process_name', 'curl']])], T)[0]!.get('risk_message')).toBe('curl (process_name) on p');
    expect(riskEventsFor(d, [new Row([['pod_name', 'p'], ['threat_object', 'x'], ['threat_object_type', 'file_name']])], T)[0]!.get('risk_message')).toBe('x (file_name) on p');
  });
  it('renders each row its own message and decides orig_<name> per row, whatever came before (one maker, many rows)', () => {
    // 600 distinct templates: more than a maker keeps compiled. orig_host is dropped only where the row has a host.
    const rows = Array.from({ length: 600 }, (_, i) =>
      new Row([['pod_name', `p${i}`], ['risk_message', `#${i} $$ $pod_name$ $risk_score$`], ['orig_host', `o${i}`], ...(i % 2 ? [['host', `h${i}`] as [string, FieldValue]] : [])]));
    const events = riskEventsFor(CURL, rows, T);
    expect(events.map((e) => e.get('risk_message'))).toEqual(rows.map((_, i) => `#${i} $ p${i} 45`));
    expect(events.map((e) => e.get('orig_host'))).toEqual(rows.map((_, i) => (i % 2 ? `h${i}` : `o${i}`)));
  });
  it('writes no event for an empty risk object', () => {
    expect(one([['pod_name', '']])).toEqual([]);
    expect(one([['pod_name', 'p']]).map((e) => [e.get('risk_object'), e.get('risk_score'), e.get('threat_object')])).toEqual([['p', 45, 'curl']]);
  });
});

describe('risk events: a large multivalue risk object', () => {
  // One event per value (ES's risk action); the message, the same for every value unless it names $risk_object$, is
  // rendered once: 20,000 values quoted by $multi$ were 20,000 copies of a 240 KB message (4 GB, out of memory).
  it('renders a message without $risk_object$ once for all the values of a 20,000-value risk field', () => {
    const values = Array.from({ length: 20_000 }, (_, i) => `host-${i}`);
    const d: Detection = { ...CURL, riskObjects: [{ field: 'multi', type: 'system', score: 10, message: 'hosts $multi$' }], threatObjects: [] };
    const started = performance.now();
    const events = riskEventsFor(d, [new Row([['_time', T], ['multi', values]])], T);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(events).toHaveLength(20_000);
    expect(events[19_999]!.get('risk_object')).toBe('host-19999');
    expect(events[19_999]!.get('risk_message')).toBe(`hosts ${values.join(', ')}`);
    // $risk_object$ is still each event's own.
    const own: Detection = { ...d, riskObjects: [{ ...d.riskObjects[0]!, message: 'host $risk_object$' }] };
    expect(riskEventsFor(own, [new Row([['_time', T], ['multi', ['a', 'b']]])], T).map((e) => e.get('risk_message'))).toEqual(['host a', 'host b']);
  });
});

describe('risk events: the fields of ES’s Risk data model', () => {
  // ES 7.3 "How the Risk Timeline visualization works in Splunk Enterprise Security" (help.splunk.com, risk-based
  // alerting): the timeline is its risk_event_timeline_search macro, `from datamodel:"Risk.All_Risk" | search
  // normalized_risk_object="$normalized_risk_object$" risk_object_type="$risk_object_type$" | ... | rename
  // annotations.mitre_attack.mitre_tactic_id as mitre_tactic_id, annotations.mitre_attack.mitre_tactic as mitre_tactic, ...`.
  it('runs the documented risk_event_timeline_search over vigil’s risk events (normalized_risk_object is the risk object)', async () => {
    const events = [...riskEventsOfRun(cron, [row('pod-a'), row('pod-b')], T, ALL), ...riskEventsOfRun(CURL, [row('pod-a')], T + 1, ALL)];
    const spl = `| from datamodel:"Risk.All_Risk" | search normalized_risk_object="pod-a" risk_object_type="system"
      | rename annotations.mitre_attack.mitre_tactic_id as mitre_tactic_id, annotations.mitre_attack.mitre_tactic as mitre_tactic,
          annotations.mitre_attack.mitre_technique_id as mitre_technique_id, annotations.mitre_attack.mitre_technique as mitre_technique
      | sort source | table source risk_object mitre_tactic_id mitre_technique_id mitre_technique`;
    const { results } = await runSearch(spl, { source: new MemorySource(events), macros: pack.macros, knowledge: pack.knowledge, now: T + 60 });
    expect(results.map((r) => ['source', 'risk_object', 'mitre_tactic_id', 'mitre_technique_id', 'mitre_technique'].map((f) => r.get(f)))).toEqual([
      [CURL.name, 'pod-a', 'TA0011', 'T1105', 'Ingress Tool Transfer'],
      ['Linux Cron Job Test', 'pod-a', ['TA0002', 'TA0003', 'TA0004'], 'T1053.003', 'Cron'],
    ]);
  });

  it('names each ATT&CK technique (annotations.mitre_attack.mitre_technique); an id vigil does not know has none', () => {
    const two: Detection = { ...CURL, mitreAttackIds: ['T1105', 'T9999', 'T1053.003'] };
    expect(riskEventsFor(two, [row('pod-a')], T)[0]!.get('annotations.mitre_attack.mitre_technique')).toEqual(['Ingress Tool Transfer', 'Cron']);
    expect(riskEventsFor({ ...CURL, mitreAttackIds: ['T9999'] }, [row('pod-a')], T)[0]!.get('annotations.mitre_attack.mitre_technique')).toBeNull();
  });

  // splunk/security_content data_sources/risk_analysis_datamodel.yml (ES 8.2.3) lists All_Risk's fields, among them
  // dest, src, user, annotations.kill_chain_phases and risk_factor_*; its example risk event carries dest and user from
  // the detection's result. tstats sees only declared fields: these were missing (no values, no BY groups).
  it('declares the fields ES’s All_Risk has, so tstats reads dest, user and src from the risk events that carry them', async () => {
    const r = new Row([['_time', T], ['pod_name', 'pod-a'], ['process_name', 'curl'], ['dest', 'node-1'], ['user', 'bob'], ['src', '10.0.0.1']]);
    const events = riskEventsOfRun(CURL, [r], T, ALL);
    const spl = `| tstats count values(All_Risk.dest) as dest values(All_Risk.user) as user values(All_Risk.src) as src
        values(All_Risk.annotations.mitre_attack.mitre_technique) as technique
      from datamodel=Risk.All_Risk by All_Risk.normalized_risk_object All_Risk.risk_object_type | \`drop_dm_object_name(All_Risk)\``;
    const { results } = await runSearch(spl, { source: new MemorySource(events), macros: pack.macros, knowledge: pack.knowledge, now: T + 60 });
    expect(results.map((x) => ['normalized_risk_object', 'risk_object_type', 'count', 'dest', 'user', 'src', 'technique'].map((f) => x.get(f)))).toEqual([
      ['pod-a', 'system', 1, 'node-1', 'bob', '10.0.0.1', 'Ingress Tool Transfer'],
    ]);
  });
});
