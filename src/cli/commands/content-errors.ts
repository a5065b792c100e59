import type { ContentPack } from '../../detections/content.js';
import { VigilError } from '../../errors.js';

/** Content errors stop commands that depend on content (warnings do not); `vigil validate` lists them all. */
export function failOnContentErrors(pack: ContentPack): void {
  const errors = pack.problems.filter((p) => p.severity === 'error');
  if (errors.length === 0) return;
  const lines = errors.slice(0, 10).map((p) => `  ${p.file}:${p.line}:${p.column}: ${p.message}`);
  if (errors.length > 10) lines.push(`  ... and ${errors.length - 10} more (run vigil validate)`);
  throw new VigilError(errors[0]!.code === 'CONTENT_YAML' ? 'CONTENT_YAML' : 'CONTENT_SCHEMA', `content has errors:\n${lines.join('\n')}`);
}
