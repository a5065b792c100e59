import type { AnyCommand } from './types.js';

/**
 * The command table (index.ts) as seen by a command that runs other commands (appendpipe's subpipeline): index.ts
 * hands its lookup over here when it loads, so such a command need not import the table that imports it (no cycle).
 * Every use is at parse or run time, after the table has loaded.
 */
let lookup: (name: string) => AnyCommand | undefined = () => undefined;

export function setCommandTable(table: (name: string) => AnyCommand | undefined): void {
  lookup = table;
}

/** The blueprint of a command by its canonical name or alias, as index.ts's commandBlueprint. */
export function tableBlueprint(name: string): AnyCommand | undefined {
  return lookup(name);
}
