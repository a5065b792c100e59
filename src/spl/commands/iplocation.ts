import { firstValue, toText, type Scalar } from '../../events/value.js';
import { VigilError } from '../../errors.js';
import { GEOIP_DB_HOW, geoIpDatabasePath, openGeoIpDatabase, type GeoIpDatabase } from '../geoip.js';
import { isIP } from '../node-builtins.js';
import { SplError, type Span } from '../source.js';
import { defineCommand } from './types.js';

export interface IplocationArgs {
  field: string;
  prefix: string;
  allFields: boolean;
  lang: { value: string; span: Span } | null;
}

/** The fields iplocation adds (before the prefix), as the Search Reference lists them. */
const BASIC = ['City', 'Country', 'Region', 'lat', 'lon'] as const;
const ALL = ['City', 'Continent', 'Country', 'MetroCode', 'Region', 'Timezone', 'lat', 'lon'] as const;
type GeoField = (typeof ALL)[number];

/** Addresses whose fields an operator remembers (rows repeat a few addresses); past it the memo starts again. */
const MEMO_SIZE = 4096;

type Rec = Record<string, unknown>;
const obj = (v: unknown): Rec | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : undefined);
const num = (v: unknown): Scalar => (typeof v === 'number' && Number.isFinite(v) ? v : '');
const str = (v: unknown): Scalar => (typeof v === 'string' ? v : '');

/** A place's name in `lang`, else in English (GeoLite2 names small places in English only), else empty. */
function nameOf(place: unknown, lang: string): Scalar {
  const names = obj(obj(place)?.names);
  return str(names?.[lang]) || str(names?.en);
}

/** The fields of a GeoLite2/GeoIP2 City record (any shape read defensively: a database's values are data). */
function geoFields(record: unknown, lang: string): Record<GeoField, Scalar> {
  const r = obj(record) ?? {};
  const loc = obj(r.location);
  const subdivisions = Array.isArray(r.subdivisions) ? (r.subdivisions as unknown[]) : [];
  return {
    City: nameOf(r.city, lang),
    Continent: nameOf(r.continent, lang),
    // Where MaxMind knows no country of use (anycast, satellite), the registered country is the one it has.
    Country: nameOf(r.country, lang) || nameOf(r.registered_country, lang),
    MetroCode: num(loc?.metro_code),
    // GeoIP2 lists subdivisions from the largest to the smallest: the region is the first (a US state).
    Region: nameOf(subdivisions[0], lang),
    Timezone: str(loc?.time_zone),
    lat: num(loc?.latitude),
    lon: num(loc?.longitude),
  };
}

/**
 * The address to look up in a field's text and its version, or null when it is none: surrounding spaces trimmed, a
 * CIDR block's address (the reference: "supports IPv4 and IPv6 addresses and subnets that use CIDR notation"), an
 * IPv6 zone (`%eth0`) dropped, an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) read as its IPv4 address.
 */
export function addressOf(text: string): { ip: string; version: 4 | 6 } | null {
  let s = text.trim();
  const slash = s.indexOf('/');
  let bits: number | null = null;
  if (slash >= 0) {
    const b = s.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(b)) return null;
    bits = Number(b);
    s = s.slice(0, slash);
  }
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(s);
  if (mapped) s = mapped[1]!;
  const v = isIP(s);
  if (v === 0 || (bits !== null && bits > (v === 4 ? 32 : 128))) return null;
  return { ip: s, version: v as 4 | 6 };
}

/**
 * `iplocation [prefix=<string>] [allfields=<bool>] [lang=<string>] <ip-address-fieldname>` (SPL reference, iplocation):
 * looks the field's address up in the MaxMind DB the user configured (src/spl/geoip.ts) and adds City, Country,
 * Region, lat, lon; with allfields=true also Continent, MetroCode, Timezone; each name after `prefix`. Where the
 * network is known but a part is not, that field is empty ("an event can have empty field values"); an address the
 * database does not know ("such as internal addresses"), a value that is no address and a missing field add
 * nothing ("no fields are added"). A multivalue field: its first value. `lang=` must be one of the database's
 * languages. The database is opened when the search starts (not by checkSearch: `vigil validate` needs none).
 */
export const iplocationCommand = defineCommand<IplocationArgs>({
  name: 'iplocation',
  doc: 'iplocation [prefix=<string>] [allfields=<bool>] [lang=<string>] <field>: add City, Country, Region, lat, lon from a GeoIP database.',
  parse: (p) => {
    const a: IplocationArgs = { field: '', prefix: '', allFields: false, lang: null };
    a.field = p.optionsAndField(
      'iplocation',
      ['prefix', 'allfields', 'lang'],
      (o) => {
        if (o.key === 'prefix') a.prefix = o.value;
        else if (o.key === 'allfields') a.allFields = p.parseBool(o.value, o.valueSpan);
        else if (o.value === '') throw p.error('iplocation lang= needs a language, e.g. lang=de', o.valueSpan, 'SPL_BAD_ARGUMENT');
        else a.lang = { value: o.value, span: o.valueSpan };
      },
      'iplocation src_ip',
    ).name;
    return a;
  },
  kind: () => 'streaming',
  orderSensitive: () => false,
  writes: (a) => (a.allFields ? ALL : BASIC).map((f) => a.prefix + f),
  create: (args, ctx, next, cmd) => {
    // A check builds the operator without rows: the database is a resource of the run, as the events are.
    if (ctx.checking) return next;
    const path = geoIpDatabasePath();
    if (path === null) throw new SplError('GEOIP_DB', `iplocation needs a GeoIP database: ${GEOIP_DB_HOW}`, cmd.nameSpan, ctx.source);
    const failure = (e: unknown) => (e instanceof VigilError && e.code === 'GEOIP_DB' ? new SplError('GEOIP_DB', `iplocation: ${e.message}`, cmd.nameSpan, ctx.source) : e);
    let db: GeoIpDatabase;
    try {
      db = openGeoIpDatabase(path);
    } catch (e) {
      throw failure(e);
    }
    const lang = args.lang?.value ?? 'en';
    if (args.lang && !db.languages.includes(lang)) {
      throw new SplError('SPL_BAD_ARGUMENT', `iplocation lang=${lang}: the GeoIP database ${path} has names in ${db.languages.join(', ') || 'no language'}`, args.lang.span, ctx.source);
    }
    const names = (args.allFields ? ALL : BASIC).map((f) => [f, args.prefix + f] as const);
    const memo = new Map<string, Record<GeoField, Scalar> | null>();
    const fieldsOf = (text: string): Record<GeoField, Scalar> | null => {
      let out = memo.get(text);
      if (out !== undefined) return out;
      const addr = addressOf(text);
      let record: unknown;
      try {
        record = addr ? db.lookup(addr.ip, addr.version) : undefined;
      } catch (e) {
        throw failure(e);
      }
      out = record === undefined ? null : geoFields(record, lang);
      if (memo.size >= MEMO_SIZE) memo.clear();
      memo.set(text, out);
      return out;
    };
    return {
      push: (row) => {
        const v = firstValue(row.get(args.field));
        const geo = v === null ? null : fieldsOf(toText(v));
        if (geo) for (const [f, name] of names) row.set(name, geo[f]);
        next.push(row);
      },
      end: () => next.end(),
    };
  },
});
