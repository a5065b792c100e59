#!/usr/bin/env node
// The last step of `npm run build:server`: snapshots the bundled content as JSON next to the compiled code
// (dist/content-snapshot.json), so that commands skip parsing its YAML (detections/content.ts).
const { writeBundledSnapshot } = await import('../dist/detections/content.js');
writeBundledSnapshot();
