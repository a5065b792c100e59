import { describe, expect, it } from 'vitest';
import { eventResult } from '../../src/normalize/event-result.js';
import { runSearch } from '../../src/spl/index.js';
import { MemorySource } from '../../src/sources/memory.js';

const riskEvent = (obj: Record<string, unknown>, t: number) => ({ _time: t, index: 'risk', sourcetype: 'stash', source: 'd', host: 'vigil', _raw: JSON.stringify(obj) });

describe('stash events (risk and notable indexes)', () => {
  it('reads flat keys as fields and arrays as multivalue fields of the same name', () => {
    const r = eventResult(riskEvent({ risk_object: 'pod-a', 'annotations.mitre_attack.mitre_tactic': ['Execution', 'Persistence'], risk_score: 20, ok: true }, 1));
    expect(r.get('annotations.mitre_attack.mitre_tactic')).toEqual(['Execution', 'Persistence']);
    expect(r.get('annotations.mitre_attack.mitre_tactic{}')).toEqual(['Execution', 'Persistence']); // the KV_MODE=json name still works
    expect(r.get('risk_score')).toBe(20);
    expect(r.get('ok')).toBe('true');
    expect(r.fieldNames()).toContain('annotations.mitre_attack.mitre_tactic');
  });

  it('lets incident-rule SPL count every tactic of multivalue risk events', async () => {
    const source = new MemorySource([
      riskEvent({ risk_object: 'pod-a', search_name: 'cron', 'annotations.mitre_attack.mitre_tactic': ['Execution', 'Persistence', 'Privilege Escalation'] }, 1),
      riskEvent({ risk_object: 'pod-a', search_name: 'curl', 'annotations.mitre_attack.mitre_tactic': 'Command And Control' }, 2),
    ]);
    const { results } = await runSearch('index=risk | stats dc(annotations.mitre_attack.mitre_tactic) as tactics by risk_object', { source });
    expect(results.map((r) => r.get('tactics'))).toEqual([4]);
  });
});
