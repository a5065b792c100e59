export { resultToJson, TIME_OUTPUT_FORMAT, type JsonResult } from './json.js';
export {
  ACTION_DEFAULTS,
  ALERT_KINDS,
  parseAlertActions,
  parseAlertConfig,
  parseAlertRouting,
  routeMatches,
  type AlertAction,
  type AlertActionType,
  type AlertConfig,
  type AlertKind,
  type AlertRoute,
  type BackoffPolicy,
  type FileAction,
  type ParseOptions,
  type SplunkHecAction,
  type SuppressConfig,
  type WebhookAction,
} from './actions.js';
export { findingCandidate, outboxId, planAlerts, planAlertsWithState, suppressionKey, suppressionKeys, type AlertCandidate, type AlertPlan, type PlanInput } from './suppression.js';
export { ALERT_SCHEMA_VERSION, alertBody, parsePayload, type AlertBody, type AlertPayload } from './payload.js';
export {
  AlertDispatcher,
  backoffDelayMs,
  createTransport,
  DEAD_LETTER_AT,
  isDeadLettered,
  type ActionStats,
  type AlertDispatcherOptions,
  type DispatcherLog,
  type DispatcherStats,
  type Timers,
} from './dispatcher.js';
export type { DeliveryContext, DeliveryOutcome, Transport } from './transport.js';
