import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes `<dir>/detections/<file>`: a detection in security_content's YAML shape, its search ending in its `_filter`
 * macro. `body` goes after `references` (rba, schedule, deployment...), `tags` after the tags' required keys.
 */
export function writeDetectionYaml(dir: string, file: string, d: { name: string; id: string; type: string; description: string; search: string; body?: readonly string[]; tags?: readonly string[] }): void {
  const filter = `${d.name.toLowerCase().replace(/ /g, '_')}_filter`;
  writeFileSync(
    join(dir, 'detections', file),
    [
      `name: ${d.name}`,
      `id: ${d.id}`,
      'version: 1',
      "date: '2026-12-08'",
      'author: test',
      'status: production',
      `type: ${d.type}`,
      `description: ${d.description}`,
      'data_source: []',
      `search: '${d.search} | \`${filter}\`'`,
      'how_to_implement: test',
      'known_false_positives: none',
      'references: []',
      ...(d.body ?? []),
      'tags:',
      '  analytic_story: []',
      '  asset_type: Kubernetes',
      '  mitre_attack_id: []',
      '  product: [Splunk Enterprise]',
      '  security_domain: endpoint',
      ...(d.tags ?? []),
    ].join('\n') + '\n',
  );
}
