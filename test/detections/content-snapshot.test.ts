import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_CONTENT_DIR, bundledSnapshot, readContentDir, shownPath, writeBundledSnapshot } from '../../src/detections/content.js';

/** The build-time snapshot of the bundled content (start-up without parsing its YAML). */
const tmp = mkdtempSync(join(tmpdir(), 'vigil-snapshot-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bundled content snapshot', () => {
  const file = join(tmp, 'content-snapshot.json');
  writeBundledSnapshot(file);

  it('loads exactly what reading the YAML gives (file names shown from the working directory)', () => {
    const snap = bundledSnapshot(file);
    expect(snap).not.toBeNull();
    expect(snap).toEqual(readContentDir(BUNDLED_CONTENT_DIR, shownPath));
    expect(snap!.detections.length).toBeGreaterThanOrEqual(12);
    expect(snap!.detections[0]!.file).toMatch(/^content\/detections\//);
  });

  it('is ignored when it is missing, of another format, or made from other content', () => {
    expect(bundledSnapshot(join(tmp, 'none.json'))).toBeNull();
    const snap = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(join(tmp, 'other-content.json'), JSON.stringify({ ...snap, content: '0'.repeat(64) }));
    expect(bundledSnapshot(join(tmp, 'other-content.json'))).toBeNull();
    writeFileSync(join(tmp, 'other-format.json'), JSON.stringify({ ...snap, format: -1 }));
    expect(bundledSnapshot(join(tmp, 'other-format.json'))).toBeNull();
    writeFileSync(join(tmp, 'other-code.json'), JSON.stringify({ ...snap, code: 1 }));
    expect(bundledSnapshot(join(tmp, 'other-code.json'))).toBeNull();
    writeFileSync(join(tmp, 'broken.json'), '{"format": 2, "code"');
    expect(bundledSnapshot(join(tmp, 'broken.json'))).toBeNull();
  });
});
