import { VigilError } from '../errors.js';
import { GEOIP_DB_ENV, useGeoIpDatabase } from '../spl/geoip.js';

/** `--geoip-db <file>` (`.option(...GEOIP_DB_OPTION)`): the MaxMind DB iplocation reads (vigil search, run, test, serve). */
export const GEOIP_DB_OPTION = ['--geoip-db <file>', `MaxMind DB file iplocation reads, e.g. GeoLite2-City.mmdb (default: $${GEOIP_DB_ENV})`] as const;

/** Makes the flag's file the database of this run and of the threads it starts (it overrides VIGIL_GEOIP_DB). */
export function applyGeoIpOption(file: string | undefined): void {
  if (file === undefined) return;
  if (file.trim() === '') throw new VigilError('USAGE', '--geoip-db needs a file name');
  useGeoIpDatabase(file);
}
