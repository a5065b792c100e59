import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadContent } from '../../src/detections/content.js';
import { validateContent } from '../../src/detections/validate.js';

// contentctl (objects/abstract_security_content_objects/detection_abstract.py, model_post_init, since v4.4.0) refuses a
// production detection that is not Hunting when it has fewer than 2 drilldown_searches ("This detection is required to
// have 2 drilldown_searches") or when none holds DRILLDOWN_SEARCH_PLACEHOLDER, "%original_detection_search%"
// (objects/drilldown.py). Hunting and non-production detections are not checked.
const dir = mkdtempSync(join(tmpdir(), 'vigil-drilldown-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'detections'), { recursive: true });

const original = "'%original_detection_search% | search pod_name = \"$pod_name$\"'";
const risk = "'| from datamodel Risk.All_Risk | search normalized_risk_object IN (\"$pod_name$\") starthoursago=168'";
function detection(name: string, id: string, type: string, status: string, drilldowns: string[] | null): void {
  writeFileSync(
    join(dir, 'detections', `${name.toLowerCase().replace(/ /g, '_')}.yml`),
    [
      `name: ${name}`,
      `id: ${id}`,
      `type: ${type}`,
      `status: ${status}`,
      "search: '`cisco_isovalent_process_exec` | stats count by pod_name | `" + name.toLowerCase().replace(/ /g, '_') + "_filter`'",
      ...(drilldowns === null ? [] : ['drilldown_searches:', ...drilldowns.map((s, i) => `- {name: d${i}, search: ${s}, earliest_offset: $info_min_time$, latest_offset: $info_max_time$}`)]),
      'rba:',
      '  message: pod $pod_name$',
      '  risk_objects: [{field: pod_name, type: system, score: 10}]',
      '  threat_objects: []',
      'tests:',
      '- name: t',
      '  attack_data: [{data: https://media.githubusercontent.com/media/splunk/attack_data/master/datasets/x/y.log, source: s, sourcetype: st}]',
    ].join('\n'),
  );
}
detection('Drill None', '0b5e5d2a-3333-4444-8555-000000000001', 'TTP', 'production', null);
detection('Drill One', '0b5e5d2a-3333-4444-8555-000000000002', 'Anomaly', 'production', [original]);
detection('Drill No Placeholder', '0b5e5d2a-3333-4444-8555-000000000003', 'TTP', 'production', [risk, risk]);
detection('Drill Two', '0b5e5d2a-3333-4444-8555-000000000004', 'TTP', 'production', [original, risk]);
detection('Drill Hunting', '0b5e5d2a-3333-4444-8555-000000000005', 'Hunting', 'production', null);
detection('Drill Experimental', '0b5e5d2a-3333-4444-8555-000000000006', 'TTP', 'experimental', null);

describe('vigil validate: drilldown_searches as contentctl requires them', () => {
  const report = validateContent(loadContent([dir]), { only: (f) => f.startsWith(dir) });
  const drill = (file: string) =>
    report.problems.filter((p) => p.file.endsWith(file) && p.message.includes('drilldown')).map((p) => `${p.line}:${p.column}: ${p.severity}: ${p.message}`);

  it('warns about a production TTP or Anomaly detection with fewer than 2, at its drilldown_searches (or line 1)', () => {
    expect(drill('drill_none.yml')).toEqual([
      '1:1: warning: a production TTP detection needs 2 drilldown_searches, one holding %original_detection_search% (contentctl requires them); this one has 0 drilldown_searches',
    ]);
    expect(drill('drill_one.yml')).toEqual([
      '7:1: warning: a production Anomaly detection needs 2 drilldown_searches, one holding %original_detection_search% (contentctl requires them); this one has 1 drilldown_searches',
    ]);
  });

  it('warns when none holds %original_detection_search%', () => {
    expect(drill('drill_no_placeholder.yml')).toEqual([
      '7:1: warning: a production TTP detection needs 2 drilldown_searches, one holding %original_detection_search% (contentctl requires them); this one has no drilldown search holding %original_detection_search%',
    ]);
  });

  it('says nothing of two with the placeholder, of Hunting and of non-production detections', () => {
    expect(drill('drill_two.yml')).toEqual([]);
    expect(drill('drill_hunting.yml')).toEqual([]);
    expect(drill('drill_experimental.yml')).toEqual([]);
  });
});
