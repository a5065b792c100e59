#!/usr/bin/env node
// The last step of `npm run build:server`: snapshots the bundled content as JSON next to the compiled code
// (dist/content-snapshot.json), so that commands skip parsing its YAML (detections/content.ts). It runs after
// scripts/bundle.mjs: the snapshot must be newer than the bundle's code that reads it.
const { writeBundledSnapshot } = await import('../dist/bundle/detections.content.js');
writeBundledSnapshot();
