export {
  loadConfig,
  DEFAULTS,
  HEC_TOKEN_FILE,
  API_TOKEN_FILE,
  EXAMPLE_TOKENS,
  type VigilConfig,
  type HecConfig,
  type HecTokenConfig,
  type HttpConfig,
  type RequestTimeouts,
  type ApiTokenConfig,
  type IndexConfig,
  type TlsConfig,
  type ConfigFlags,
  type LoadConfigOptions,
  type GeneratedToken,
} from './config.js';
export { parseSize, parseDuration } from './units.js';
