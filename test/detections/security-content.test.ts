import { describe, expect, it } from 'vitest';
import { readDetection } from '../../src/detections/detection.js';
import { YamlReader } from '../../src/yaml/reader.js';

/** A detection YAML read as the loader reads it: the detection (or null) and the problems. */
function read(lines: string[]) {
  const r = YamlReader.parse(lines.join('\n'), 'd.yml');
  const d = readDetection(r.top(), 'd.yml');
  return { d, problems: r.problems };
}

const HEAD = ['name: Linux Curl Upload File', 'id: c1de2d9a-0c02-4bb4-a49a-510c6e9cf2bf', 'type: TTP', 'search: "| tstats count from datamodel=Endpoint.Processes by Processes.dest"'];

describe('security_content before 2025: tags.observable', () => {
  it('turns Victim observables into risk objects and Attacker ones into threat objects, as contentctl 4 did', () => {
    const { d, problems } = read([
      ...HEAD,
      'tags:',
      '  confidence: 80',
      '  impact: 80',
      '  message: An instance of $process_name$ was identified on endpoint $dest$ by user $user$',
      '  mitre_attack_id: [T1105]',
      '  observable:',
      '  - {name: user, type: User, role: [Victim]}',
      '  - {name: dest, type: Hostname, role: [Victim]}',
      '  - {name: process_name, type: Process, role: [Attacker]}',
      '  - {name: src_ip, type: IP Address, role: [Attacker]}',
      '  - {name: file_name, type: File Name, role: [Attacker]}',
      '  - {name: registry_path, type: Registry Key, role: [Attacker]}',
      '  - {name: service, type: Service, role: [Victim]}',
      '  risk_score: 64',
    ]);
    expect(problems).toEqual([]);
    expect(d!.schema).toBe('observables');
    const message = 'An instance of $process_name$ was identified on endpoint $dest$ by user $user$';
    expect(d!.riskObjects).toEqual([
      { field: 'user', type: 'user', score: 64, message },
      { field: 'dest', type: 'system', score: 64, message },
      { field: 'service', type: 'other', score: 64, message },
    ]);
    expect(d!.threatObjects).toEqual([
      { field: 'process_name', type: 'process' },
      { field: 'src_ip', type: 'ip_address' },
      { field: 'file_name', type: 'file_name' },
      { field: 'registry_path', type: 'registry key' },
    ]);
    expect(d!.mitreAttackIds).toEqual(['T1105']);
  });

  it('scores confidence x impact / 100 when risk_score is absent', () => {
    const { d } = read([...HEAD, 'tags:', '  confidence: 50', '  impact: 30', '  message: m', '  observable:', '  - {name: dest, type: Hostname, role: [Victim]}']);
    expect(d!.riskObjects).toEqual([{ field: 'dest', type: 'system', score: 15, message: 'm' }]);
  });

  it('gives Hunting detections no risk (ESCU enables the risk action for TTP and Anomaly only)', () => {
    const { d, problems } = read([...HEAD.map((l) => l.replace('type: TTP', 'type: Hunting')), 'tags:', '  risk_score: 25', '  message: m', '  observable:', '  - {name: dest, type: Hostname, role: [Victim]}']);
    expect(problems).toEqual([]);
    expect(d!.riskObjects).toEqual([]);
    expect(d!.threatObjects).toEqual([]);
  });

  it('reports observables without a score at their line', () => {
    const { problems } = read([...HEAD, 'tags:', '  message: m', '  observable:', '  - {name: dest, type: Hostname, role: [Victim]}']);
    expect(problems).toMatchObject([{ line: 8, severity: 'error', message: 'tags.observable needs tags.risk_score (or tags.confidence and tags.impact)' }]);
  });
});
