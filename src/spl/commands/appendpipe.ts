import type { Result } from '../../events/result.js';
import type { CommandAst } from '../parse/ast.js';
import { SplError } from '../source.js';
import { tableBlueprint } from './table-lookup.js';
import { subsearchNodes, type SearchArgs } from './search.js';
import { defineCommand, type ExecContext, type Sink } from './types.js';

export interface AppendpipeArgs {
  /** The subpipeline's commands. */
  commands: CommandAst[];
}

/**
 * `appendpipe [run_in_preview=bool] [ <command> | ... ]`: the results as they are, then what the subpipeline makes of
 * them (a copy of all of them, once they have all arrived: it is not a new search), as Splunk's appendpipe. With no
 * results the subpipeline still runs, over none (`appendpipe [stats count | where count=0]` gives a row). A `head` in it
 * stops the subpipeline, not the search. `run_in_preview` is accepted without effect (vigil shows no previews).
 */
export const appendpipeCommand = defineCommand<AppendpipeArgs>({
  name: 'appendpipe',
  doc: 'appendpipe [run_in_preview=bool] [ <commands> ]: add what a subpipeline makes of the current results after them.',
  parse: (p) => {
    for (;;) {
      const t = p.peek('search');
      if (t.kind === 'lbracket') break;
      const o = p.option(['run_in_preview']);
      if (!o) throw p.error(t.kind === 'eof' ? 'appendpipe needs a subpipeline: appendpipe [ stats ... ]' : `appendpipe: expected run_in_preview= or a subpipeline, found '${t.value}'`, t.span);
      p.parseBool(o.value, o.valueSpan);
    }
    const { pipeline } = p.subpipeline();
    p.expectEnd();
    for (const command of pipeline.commands) {
      // Absent for a command parsed by name only (ParseOptions.allowUnknownCommands): nothing to check.
      const blueprint = tableBlueprint(command.name);
      if (!blueprint) continue;
      if (blueprint.kind(command.args) === 'generating' || blueprint.readsEvents?.(command.args)) {
        throw p.error(`appendpipe runs its subpipeline over the current results: "${command.name}" generates results and cannot be in it`, command.nameSpan);
      }
      // Subsearches run before the search reads anything (exec/subsearch.ts); the planner sees only the top level.
      if (blueprint.subsearch || blueprint.subsearches || (command.name === 'search' && subsearchNodes((command.args as SearchArgs).expr).length > 0)) {
        throw new SplError('SPL_UNSUPPORTED_COMMAND', `a subsearch inside appendpipe is not supported yet ("${command.name}")`, command.nameSpan, p.source);
      }
    }
    return { commands: pipeline.commands };
  },
  // It needs all its input before its subpipeline runs: one thread, after the merge of partitions (plan/split.ts).
  kind: () => 'transforming',
  // The subpipeline's order-sensitive commands (head, dedup) see the results in search order: sorted first.
  orderSensitive: (a) => a.commands.some((c) => tableBlueprint(c.name)?.orderSensitive(c.args) === true),
  writes: () => '*',
  runsSearches: (a) => a.commands.some((c) => tableBlueprint(c.name)?.runsSearches?.(c.args) === true),
  create: (args, ctx, next) => {
    // Its own halt: a `head` in the subpipeline ends the subpipeline, not the search.
    let halted = false;
    const subCtx = Object.create(ctx, {
      halt: { value: () => void (halted = true) },
      halted: { get: () => halted || ctx.halted },
    }) as ExecContext;
    // Its rows go on after the results; the search's end comes after both, when the subpipeline ends (a map in it
    // ends after its searches: ExecContext.defer).
    let sub: Sink = { push: (row) => next.push(row), end: () => next.end() };
    for (let i = args.commands.length - 1; i >= 0; i--) {
      const c = args.commands[i]!;
      const blueprint = tableBlueprint(c.name);
      if (!blueprint) throw new SplError('SPL_UNSUPPORTED_COMMAND', `unsupported command "${c.name}"`, c.nameSpan, ctx.source);
      sub = blueprint.create(c.args, subCtx, sub, c);
    }
    let kept: Result[] = [];
    return {
      push: (row) => {
        // A copy: the commands after appendpipe may change the row in place.
        kept.push(row.clone());
        next.push(row);
      },
      end: () => {
        const rows = kept;
        kept = [];
        for (const row of rows) {
          if (halted) break;
          sub.push(row);
        }
        sub.end();
      },
    };
  },
});
