import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
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

  it('shows file names as the YAML reading does from any working directory (inside the content, outside the package)', () => {
    const cwd = process.cwd();
    try {
      for (const [dir, shown] of [
        [join(BUNDLED_CONTENT_DIR, 'detections'), /^[^/]+\/[^/]+\.yml$/],
        [BUNDLED_CONTENT_DIR, /^detections\//],
        [tmp, /^\/.*\/content\/detections\//],
      ] as const) {
        process.chdir(dir);
        const snap = bundledSnapshot(file);
        expect(snap).toEqual(readContentDir(BUNDLED_CONTENT_DIR, shownPath));
        expect(snap!.detections[0]!.file).toMatch(shown);
      }
    } finally {
      process.chdir(cwd);
    }
  });

  it('is ignored when it is missing, of another format, made from other files, or older than the content or the code', () => {
    expect(bundledSnapshot(join(tmp, 'none.json'))).toBeNull();
    const snap = JSON.parse(readFileSync(file, 'utf8')) as { files: Record<string, number> };
    const variant = (name: string, data: unknown) => {
      writeFileSync(join(tmp, name), JSON.stringify(data));
      return bundledSnapshot(join(tmp, name));
    };
    expect(variant('same.json', snap)).not.toBeNull();
    expect(variant('other-format.json', { ...snap, format: -1 })).toBeNull();
    const [first, size] = Object.entries(snap.files)[0]!;
    expect(variant('other-size.json', { ...snap, files: { ...snap.files, [first]: size + 1 } })).toBeNull();
    expect(variant('fewer-files.json', { ...snap, files: Object.fromEntries(Object.entries(snap.files).slice(1)) })).toBeNull();
    expect(variant('more-files.json', { ...snap, files: { ...snap.files, 'detections/new.yml': 10 } })).toBeNull();
    // Written before the content files and the code were last changed.
    writeFileSync(join(tmp, 'old.json'), JSON.stringify(snap));
    utimesSync(join(tmp, 'old.json'), new Date(0), new Date(0));
    expect(bundledSnapshot(join(tmp, 'old.json'))).toBeNull();
    writeFileSync(join(tmp, 'broken.json'), '{"format": 3, "files"');
    expect(bundledSnapshot(join(tmp, 'broken.json'))).toBeNull();
  });
});
