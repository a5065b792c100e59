export { createHecServer, nodeTimeouts, pipelineGuard, type HecServer, type HecServerOptions, type HecLog, type HecLogLevel } from './server.js';
export type { HecStats, TokenStats } from './stats.js';
export { HEC, type HecCode } from './protocol.js';
export { ByteBudget } from './body.js';
export { answerClientErrors, answerConnect, capConnections, hostHeaderProblem, keepHalfOpen, transferCodingProblem, type ClientErrorKind, type ClientErrorReply } from './client-errors.js';
export { nestsDeeperThan } from './json-stream.js';
