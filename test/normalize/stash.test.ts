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

  it('gives a null key no value, whether read alone or after every field was listed', async () => {
    const fresh = () => eventResult(riskEvent({ x: null, y: 'a', z: [null, 'b'] }, 1));
    const alone = fresh();
    expect([alone.get('x'), alone.get('y'), alone.get('z')]).toEqual([null, 'a', 'b']);
    const listed = fresh();
    expect(listed.fieldNames()).not.toContain('x');
    expect([listed.get('x'), listed.get('y'), listed.get('z')]).toEqual([null, 'a', 'b']);
    // A search's results do not depend on another search of the same shared scan listing the fields.
    const source = new MemorySource([riskEvent({ x: null, risk_object: 'pod-a' }, 1)]);
    for (const spl of ['index=risk x=null | stats count', 'index=risk | table * | search x=null | stats count']) {
      expect((await runSearch(spl, { source })).results[0]!.get('count'), spl).toBe(0);
    }
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
