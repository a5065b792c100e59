import type { CommandParsers } from '../parse/parser.js';
import type { AnyCommand } from './types.js';
import { accumCommand } from './accum.js';
import { addinfoCommand } from './addinfo.js';
import { addcoltotalsCommand, addtotalsCommand } from './addtotals.js';
import { anomalydetectionCommand } from './anomalydetection.js';
import { appendCommand } from './append.js';
import { appendpipeCommand } from './appendpipe.js';
import { appendcolsCommand } from './appendcols.js';
import { contingencyCommand } from './contingency.js';
import { selfjoinCommand } from './selfjoin.js';
import { autoregressCommand } from './autoregress.js';
import { binCommand } from './bin.js';
import { chartCommand } from './chart.js';
import { convertCommand } from './convert.js';
import { datamodelCommand } from './datamodel.js';
import { dedupCommand } from './dedup.js';
import { deltaCommand } from './delta.js';
import { evalCommand } from './eval.js';
import { extractCommand } from './extract.js';
import { eventcountCommand } from './eventcount.js';
import { eventstatsCommand } from './eventstats.js';
import { fieldsCommand } from './fields.js';
import { filldownCommand } from './filldown.js';
import { fillnullCommand } from './fillnull.js';
import { foreachCommand } from './foreach.js';
import { formatCommand } from './format.js';
import { fromCommand } from './from.js';
import { fromjsonCommand } from './fromjson.js';
import { gentimesCommand } from './gentimes.js';
import { headCommand } from './head.js';
import { inputlookupCommand } from './inputlookup.js';
import { iplocationCommand } from './iplocation.js';
import { joinCommand } from './join.js';
import { lookupCommand } from './lookup.js';
import { makecontinuousCommand } from './makecontinuous.js';
import { metadataCommand } from './metadata.js';
import { makemvCommand } from './makemv.js';
import { mapCommand } from './map.js';
import { makeresultsCommand } from './makeresults.js';
import { mvcombineCommand } from './mvcombine.js';
import { multikvCommand } from './multikv.js';
import { mvexpandCommand } from './mvexpand.js';
import { nomvCommand } from './nomv.js';
import { outlierCommand } from './outlier.js';
import { outputlookupCommand } from './outputlookup.js';
import { rangemapCommand } from './rangemap.js';
import { regexCommand } from './regex.js';
import { renameCommand } from './rename.js';
import { replaceCommand } from './replace.js';
import { returnCommand } from './return.js';
import { reverseCommand } from './reverse.js';
import { rexCommand } from './rex.js';
import { searchCommand } from './search.js';
import { sortCommand } from './sort.js';
import { spathCommand } from './spath.js';
import { statsCommand } from './stats.js';
import { strcatCommand } from './strcat.js';
import { streamstatsCommand } from './streamstats.js';
import { tableCommand } from './table.js';
import { timechartCommand } from './timechart.js';
import { tailCommand } from './tail.js';
import { rareCommand, topCommand } from './top.js';
import { transactionCommand } from './transaction.js';
import { transposeCommand } from './transpose.js';
import { trendlineCommand } from './trendline.js';
import { tstatsCommand } from './tstats.js';
import { untableCommand } from './untable.js';
import { whereCommand } from './where.js';
import { xmlkvCommand } from './xmlkv.js';
import { xyseriesCommand } from './xyseries.js';
import { fieldsummaryCommand } from './fieldsummary.js';
import { multisearchCommand } from './multisearch.js';
import { setCommand } from './set.js';
import { tojsonCommand } from './tojson.js';
import { unionCommand } from './union.js';
import { uniqCommand } from './uniq.js';
import { setCommandTable } from './table-lookup.js';

/**
 * The command table: every SPL command vigil runs. A new command is one file in this folder plus one
 * line here. A command not in this table is an "unsupported command" error at its position.
 */
const COMMANDS: readonly AnyCommand[] = [
  accumCommand,
  addcoltotalsCommand,
  addinfoCommand,
  addtotalsCommand,
  anomalydetectionCommand,
  appendCommand,
  appendcolsCommand,
  appendpipeCommand,
  autoregressCommand,
  binCommand,
  chartCommand,
  contingencyCommand,
  convertCommand,
  datamodelCommand,
  dedupCommand,
  deltaCommand,
  evalCommand,
  eventcountCommand,
  eventstatsCommand,
  extractCommand,
  fieldsCommand,
  fieldsummaryCommand,
  filldownCommand,
  fillnullCommand,
  foreachCommand,
  formatCommand,
  fromCommand,
  fromjsonCommand,
  gentimesCommand,
  headCommand,
  inputlookupCommand,
  iplocationCommand,
  joinCommand,
  lookupCommand,
  makecontinuousCommand,
  makemvCommand,
  mapCommand,
  makeresultsCommand,
  metadataCommand,
  mvcombineCommand,
  multisearchCommand,
  multikvCommand,
  mvexpandCommand,
  nomvCommand,
  outlierCommand,
  outputlookupCommand,
  rangemapCommand,
  rareCommand,
  regexCommand,
  renameCommand,
  replaceCommand,
  returnCommand,
  reverseCommand,
  rexCommand,
  searchCommand,
  selfjoinCommand,
  setCommand,
  sortCommand,
  spathCommand,
  statsCommand,
  strcatCommand,
  streamstatsCommand,
  tableCommand,
  tailCommand,
  timechartCommand,
  tojsonCommand,
  transactionCommand,
  topCommand,
  transposeCommand,
  trendlineCommand,
  tstatsCommand,
  unionCommand,
  uniqCommand,
  untableCommand,
  whereCommand,
  xmlkvCommand,
  xyseriesCommand,
];

const byName = new Map<string, AnyCommand>();
for (const c of COMMANDS) {
  for (const n of [c.name, ...(c.aliases ?? [])]) {
    if (byName.has(n)) throw new Error(`SPL command ${n} registered twice`);
    byName.set(n, c);
  }
}

export function commandBlueprint(name: string): AnyCommand | undefined {
  return byName.get(name);
}
setCommandTable(commandBlueprint);

export function supportedCommands(): string[] {
  return [...byName.keys()].sort();
}

export const COMMAND_PARSERS: CommandParsers = {
  resolve: (name) => byName.get(name)?.name,
  parseArgs: (name, p) => byName.get(name)!.parse(p),
};
