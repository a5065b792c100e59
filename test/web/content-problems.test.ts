import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startServer } from '../../src/web/runtime.js';

// vigil serve runs what loaded: a detection with an error is left out, and its operator is told so at start.
it('vigil serve logs its content errors at start, with file:line:column, and runs the rest', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-content-problems-'));
  try {
    const content = join(dir, 'content');
    mkdirSync(join(content, 'detections'), { recursive: true });
    writeFileSync(
      join(content, 'detections', 'bad_cron.yml'),
      'name: Bad Cron\nid: 3f0b6b1e-1f7e-4a51-9d3c-1c8c5d1e0a01\ntype: TTP\nsearch: index=main | stats count\nschedule:\n  cron_schedule: 61 * * * *\n',
    );
    const config = await loadConfig({ env: {}, flags: { dataDir: join(dir, 'data'), port: 0, hecPort: 0 } });
    const logged: { level: string; message: string }[] = [];
    const server = await startServer(config, { schedule: false, users: [], consoleDir: null, contentDirs: [content], log: (level, message) => logged.push({ level, message }) });
    try {
      const warn = logged.find((l) => l.level === 'warn' && l.message.startsWith('content: '));
      expect(warn?.message).toMatch(/bad_cron\.yml:6:\d+: .*cron/);
      const res = await fetch(`${server.apiUrl}/api/detections`, { headers: { Authorization: `Bearer ${config.http.apiTokens[0]!.token}` } });
      const names = ((await res.json()) as { detections: { name: string }[] }).detections.map((d) => d.name);
      expect(names).toContain('Cisco Isovalent - Curl Execution With Insecure Flags');
      expect(names).not.toContain('Bad Cron');
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
