import { dirname } from 'node:path';
import type { VigilConfig } from '../config/config.js';
import { parseAlertConfig, type AlertAction, type AlertConfig, type AlertRoute } from '../outputs/actions.js';
import { findingCandidate, planAlertsWithState, type AlertCandidate } from '../outputs/suppression.js';
import { Row } from '../events/result.js';
import type { StateStore } from '../store/types.js';
import type { AlertPlanner } from './scheduler.js';

/**
 * The scheduler's hook into alert actions: for each committed run, the risk events and findings the
 * routes select become outbox items (deliveries owed, with idempotency keys), minus suppressed ones —
 * committed atomically with the run. Suppression uses the run's scheduled time as "now", so a backfill
 * suppresses exactly as the live scheduler would.
 */
export function alertPlanner(routes: readonly AlertRoute[], state: Pick<StateStore, 'suppressed'>): AlertPlanner {
  return async (d, run, riskEvents, findings) => {
    if (routes.length === 0) return { outbox: [], suppressions: [] };
    const candidates: AlertCandidate[] = [
      ...riskEvents.map((e) => {
        const data = new Row(JSON.parse(e._raw) as Record<string, string | number | (string | number)[]>);
        data.set('_time', e._time);
        return { kind: 'risk_event' as const, detection: { id: d.id, name: d.name }, scheduledTime: run.scheduledTime, time: e._time, data };
      }),
      ...findings.map((f) => findingCandidate(f, run.scheduledTime)),
    ];
    const plan = await planAlertsWithState(state, { routes, candidates, now: run.scheduledTime });
    return { outbox: plan.outbox, suppressions: plan.suppressions };
  };
}

/**
 * The config's `alert_actions:`: the actions (for the dispatcher) and the planner the scheduler calls for
 * every run (null without routes). `vigil serve` and `vigil backfill` both take them from here, so a backfill
 * queues what the live scheduler queues. Relative paths resolve against the config file, else the data dir.
 */
export function configuredAlerts(
  config: AlertSettingsSource,
  state: Pick<StateStore, 'suppressed'>,
): { actions: AlertAction[]; planner: AlertPlanner | null; deadLetterRetentionS: number } {
  const { actions, routes, deadLetterRetentionS } = alertConfig(config);
  return { actions, planner: routes.length ? alertPlanner(routes, state) : null, deadLetterRetentionS };
}

type AlertSettingsSource = Pick<VigilConfig, 'alertActions' | 'file' | 'dataDir' | 'at'>;

/** The config's `alert_actions:`, validated, errors at their `file:line:`. */
export function alertConfig(config: AlertSettingsSource): AlertConfig {
  return parseAlertConfig(config.alertActions ?? {}, { baseDir: config.file ? dirname(config.file) : config.dataDir, at: config.at });
}
