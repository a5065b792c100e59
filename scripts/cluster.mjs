#!/usr/bin/env node
// Local scale-out cluster on loopback for development and tests (issue #11): ZooKeeper, ClickHouse 2 shards x 2
// replicas, PostgreSQL 15, each a plain process with its own config and data under <repo>/.cluster/, plus ready
// configs for three `vigil serve` nodes. No service manager: the machine's own services (if the packages started
// any) are left alone, and `down` stops exactly the processes `up` recorded in .cluster/pids.json.
//
//   node scripts/cluster.mjs up             (npm run cluster:up)
//   node scripts/cluster.mjs status         exit 0 when every server this checkout started is running
//   node scripts/cluster.mjs down [--purge] (npm run cluster:down)
//
// Ports are fixed (documented in README.md and docs/scale-out.md; test/cluster/ reads them).
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const DIR = path.join(ROOT, '.cluster');
const PIDS = path.join(DIR, 'pids.json');
const SECRETS = path.join(DIR, 'secrets.json');

const PACKAGES = ['clickhouse-server', 'clickhouse-client', 'zookeeper', 'postgresql'];
const CLICKHOUSE_BIN = '/usr/sbin/clickhouse-server';
const PG_BIN = '/usr/lib/postgresql/15/bin';
const ZK_PORT = 12181;
const PG_PORT = 15432;
const CLUSTER = 'vigil';
const REPLICAS = [
  { name: 's1r1', shard: '01', replica: 'r1', http: 18121, tcp: 19001, interserver: 19011 },
  { name: 's1r2', shard: '01', replica: 'r2', http: 18122, tcp: 19002, interserver: 19012 },
  { name: 's2r1', shard: '02', replica: 'r1', http: 18123, tcp: 19003, interserver: 19013 },
  { name: 's2r2', shard: '02', replica: 'r2', http: 18124, tcp: 19004, interserver: 19014 },
];
// Each vigil node lists its own ClickHouse replica first (its preferred one) and the rest after it.
const NODES = [
  { n: 1, hec: 18088, api: 18000, first: 's1r1' },
  { n: 2, hec: 18089, api: 18001, first: 's2r1' },
  { n: 3, hec: 18090, api: 18002, first: 's1r2' },
];
const START_TIMEOUT_MS = 90_000; // a cold JVM or ClickHouse on a busy two-core machine
// ClickHouse 18.16 exits at start when ZooKeeper, though it answers ruok, refuses its first session handshake (seen on a
// loaded machine): such a server is started again, this many times in all.
const START_ATTEMPTS = 3;
const STOP_TIMEOUT_MS = 20_000; // then SIGKILL

const rel = (p) => path.relative(ROOT, p) || '.';
const log = (msg) => console.log(`cluster: ${msg}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isRoot = process.getuid?.() === 0;

class ClusterError extends Error {}
/** A server that exited before it answered (see START_ATTEMPTS). */
class ExitedDuringStart extends ClusterError {}

// --- processes -------------------------------------------------------------------------------------------------

function readPids() {
  try {
    return JSON.parse(fs.readFileSync(PIDS, 'utf8'));
  } catch {
    return {};
  }
}

function writePids(pids) {
  fs.writeFileSync(PIDS, `${JSON.stringify(pids, null, 2)}\n`);
}

/** A recorded pid is ours only while it is alive and its command line still names our config (pids get reused). */
function isOurs(record) {
  if (!record?.pid) return false;
  try {
    process.kill(record.pid, 0);
  } catch {
    return false;
  }
  try {
    return fs.readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').includes(record.marker);
  } catch {
    return true; // no /proc: trust the live pid
  }
}

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

function spawnDetached(cmd, args, outFile) {
  const out = fs.openSync(outFile, 'a');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], cwd: DIR });
  fs.closeSync(out);
  child.unref();
  return child.pid;
}

/** Runs a command to completion; throws with its output when it fails. */
function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() || String(result.error ?? '');
    throw new ClusterError(`${cmd} ${args.join(' ')} failed (exit ${result.status}):\n${output}`);
  }
  return result.stdout;
}

// PostgreSQL refuses to run as root: as root, its commands run as the Debian package's `postgres` user.
const asPostgres = (cmd, args) => (isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);

// --- probes ----------------------------------------------------------------------------------------------------

function zkCommand(word) {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect({ host: '127.0.0.1', port: ZK_PORT }, () => socket.write(word));
    socket.setTimeout(2000);
    socket.on('data', (chunk) => (data += chunk));
    socket.once('end', () => resolve(data));
    socket.once('timeout', () => (socket.destroy(), resolve('')));
    socket.once('error', () => resolve(''));
  });
}

async function chQuery(replica, query, settings = {}, timeoutMs = 60_000) {
  const params = new URLSearchParams({ ...settings, query });
  const response = await fetch(`http://127.0.0.1:${replica.http}/?${params}`, {
    method: 'POST',
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  if (!response.ok) throw new ClusterError(`ClickHouse ${replica.name}: ${text.trim()}`);
  return text.trim();
}

const chAnswers = (replica) => chQuery(replica, 'SELECT 1', {}, 2000).then((text) => text === '1', () => false);

function psql(sql, database = 'postgres') {
  return run(`${PG_BIN}/psql`, ['-h', '127.0.0.1', '-p', String(PG_PORT), '-U', 'vigil', '-d', database, '-tAXc', sql]).trim();
}

const pgAnswers = async () => {
  try {
    return psql('select 1') === '1';
  } catch {
    return false;
  }
};

async function waitFor(service, check) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (await check()) return;
    if (service.pid && !isOurs({ pid: service.pid, marker: service.marker })) {
      throw new ExitedDuringStart(`${service.label} exited during start; see ${rel(service.log)}`);
    }
    if (Date.now() > deadline) {
      throw new ClusterError(`${service.label} did not answer within ${START_TIMEOUT_MS / 1000} s; see ${rel(service.log)}`);
    }
    await sleep(250);
  }
}

// --- packages --------------------------------------------------------------------------------------------------

function missingPackages() {
  return PACKAGES.filter((name) => {
    const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return result.status !== 0 || !result.stdout.includes('install ok installed');
  });
}

function installPackages() {
  const missing = missingPackages();
  if (missing.length === 0) {
    log(`packages present: ${PACKAGES.join(', ')}`);
    return;
  }
  const sudo = isRoot ? [] : ['sudo'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const steps = [
    ['apt-get', ['update']],
    ['apt-get', ['install', '-y', '--no-install-recommends', ...missing]],
  ];
  for (const [cmd, args] of steps) {
    const [bin, argv] = sudo.length ? ['sudo', [cmd, ...args]] : [cmd, args];
    log(`installing: ${bin} ${argv.join(' ')}`);
    const result = spawnSync(bin, argv, { stdio: 'inherit', env });
    if (result.status !== 0) throw new ClusterError(`${bin} ${argv.join(' ')} failed (exit ${result.status})`);
  }
}

// --- configs ---------------------------------------------------------------------------------------------------

function mkdir(dir) {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function zookeeperService() {
  const dir = mkdir(path.join(DIR, 'zookeeper'));
  const config = path.join(dir, 'zoo.cfg');
  const logFile = path.join(dir, 'zookeeper.log');
  fs.writeFileSync(
    config,
    [
      'tickTime=2000',
      `dataDir=${mkdir(path.join(dir, 'data'))}`,
      `clientPort=${ZK_PORT}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,stat,mntr',
      // Old snapshots and logs would grow without bound across test runs.
      'autopurge.snapRetainCount=3',
      'autopurge.purgeInterval=1',
      '',
    ].join('\n'),
  );
  const log4j = path.join(dir, 'log4j.properties');
  fs.writeFileSync(
    log4j,
    [
      'log4j.rootLogger=WARN, FILE',
      'log4j.appender.FILE=org.apache.log4j.RollingFileAppender',
      `log4j.appender.FILE.File=${logFile}`,
      'log4j.appender.FILE.MaxFileSize=10MB',
      'log4j.appender.FILE.MaxBackupIndex=2',
      'log4j.appender.FILE.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n',
      '',
    ].join('\n'),
  );
  return {
    key: 'zookeeper',
    label: `ZooKeeper (127.0.0.1:${ZK_PORT})`,
    port: ZK_PORT,
    config,
    log: logFile,
    marker: config,
    stopSignal: 'SIGTERM',
    address: `127.0.0.1:${ZK_PORT}`,
    // `ruok` says imok as soon as the process runs, before it serves sessions (loading its data, ClickHouse's
    // handshakes were refused: `Cannot read all data ... while receiving handshake`, and a replica hung at start
    // past the timeout); `stat` names the mode only once it serves.
    ready: async () => /^Mode: /m.test(await zkCommand('stat')),
    start() {
      // A small fixed heap: the JVM's default (a quarter of RAM) would let it grow far past what it needs here.
      const args = [
        '-Xms32m',
        '-Xmx256m',
        '-XX:+UseSerialGC',
        `-Dlog4j.configuration=file:${log4j}`,
        '-cp',
        '/usr/share/java/*:/usr/share/zookeeper/*',
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        config,
      ];
      return spawnDetached('java', args, path.join(dir, 'stdout.log'));
    },
  };
}

function remoteServersXml() {
  const shards = ['01', '02'].map((shard) => {
    const replicas = REPLICAS.filter((r) => r.shard === shard)
      .map((r) => `        <replica><host>127.0.0.1</host><port>${r.tcp}</port></replica>`)
      .join('\n');
    return `      <shard>\n        <internal_replication>true</internal_replication>\n${replicas}\n      </shard>`;
  });
  return `  <remote_servers>\n    <${CLUSTER}>\n${shards.join('\n')}\n    </${CLUSTER}>\n  </remote_servers>`;
}

function clickhouseUsers() {
  const file = path.join(mkdir(path.join(DIR, 'clickhouse')), 'users.xml');
  fs.writeFileSync(
    file,
    `<?xml version="1.0"?>
<!-- Written by scripts/cluster.mjs: one user, default, no password, loopback only. -->
<yandex>
  <profiles>
    <default>
      <max_memory_usage>2000000000</max_memory_usage>
      <use_uncompressed_cache>0</use_uncompressed_cache>
      <load_balancing>in_order</load_balancing>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval>
    </default>
  </quotas>
</yandex>
`,
  );
  return file;
}

function clickhouseService(replica, usersFile) {
  const dir = mkdir(path.join(DIR, 'clickhouse', replica.name));
  const logDir = mkdir(path.join(dir, 'log'));
  const config = path.join(dir, 'config.xml');
  const errLog = path.join(logDir, 'err.log');
  fs.writeFileSync(
    config,
    `<?xml version="1.0"?>
<!-- Written by scripts/cluster.mjs: ClickHouse replica ${replica.replica} of shard ${replica.shard}. -->
<yandex>
  <logger>
    <level>warning</level>
    <log>${path.join(logDir, 'server.log')}</log>
    <errorlog>${errLog}</errorlog>
    <size>10M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${replica.http}</http_port>
  <tcp_port>${replica.tcp}</tcp_port>
  <interserver_http_port>${replica.interserver}</interserver_http_port>
  <interserver_http_host>127.0.0.1</interserver_http_host>
  <path>${mkdir(path.join(dir, 'data'))}/</path>
  <tmp_path>${mkdir(path.join(dir, 'tmp'))}/</tmp_path>
  <user_files_path>${mkdir(path.join(dir, 'user_files'))}/</user_files_path>
  <format_schema_path>${mkdir(path.join(dir, 'format_schemas'))}/</format_schema_path>
  <users_config>${usersFile}</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <!-- Small caches: four servers share a two-core development machine (the defaults are 5 GB and 8 GB). -->
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <max_connections>1024</max_connections>
  <keep_alive_timeout>10</keep_alive_timeout>
  <max_table_size_to_drop>0</max_table_size_to_drop>
  <zookeeper>
    <node><host>127.0.0.1</host><port>${ZK_PORT}</port></node>
    <session_timeout_ms>30000</session_timeout_ms>
  </zookeeper>
  <macros>
    <shard>${replica.shard}</shard>
    <replica>${replica.replica}</replica>
  </macros>
${remoteServersXml()}
  <distributed_ddl>
    <path>/clickhouse/task_queue/ddl</path>
  </distributed_ddl>
</yandex>
`,
  );
  return {
    key: `clickhouse-${replica.name}`,
    label: `ClickHouse ${replica.name} (shard ${replica.shard} replica ${replica.replica}, http 127.0.0.1:${replica.http})`,
    port: replica.http,
    config,
    log: errLog,
    marker: config,
    stopSignal: 'SIGTERM',
    address: `http://127.0.0.1:${replica.http} (native ${replica.tcp}, interserver ${replica.interserver})`,
    ready: () => chAnswers(replica),
    start: () => spawnDetached(CLICKHOUSE_BIN, [`--config-file=${config}`], path.join(logDir, 'stdout.log')),
  };
}

function postgresService() {
  const dir = mkdir(path.join(DIR, 'postgres'));
  const data = path.join(dir, 'data');
  const config = path.join(dir, 'vigil.conf');
  const logFile = path.join(dir, 'postgres.log');
  fs.writeFileSync(
    config,
    [
      '# Written by scripts/cluster.mjs, included from data/postgresql.conf.',
      `port = ${PG_PORT}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'max_connections = 200',
      'shared_buffers = 64MB',
      'log_min_messages = warning',
      "timezone = 'UTC'",
      '',
    ].join('\n'),
  );
  if (isRoot) run('chown', ['postgres:postgres', dir]);
  return {
    key: 'postgres',
    label: `PostgreSQL (127.0.0.1:${PG_PORT})`,
    port: PG_PORT,
    config,
    log: logFile,
    marker: data,
    // SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client to disconnect (test pools may
    // not); SIGINT is its "fast" shutdown: clients are disconnected, data is flushed.
    stopSignal: 'SIGINT',
    address: `postgresql://vigil@127.0.0.1:${PG_PORT}/vigil`,
    ready: pgAnswers,
    start() {
      if (!fs.existsSync(path.join(data, 'PG_VERSION'))) {
        log(`initdb ${rel(data)} (superuser vigil, trust authentication)`);
        run(...asPostgres(`${PG_BIN}/initdb`, ['-D', data, '-A', 'trust', '-U', 'vigil', '-E', 'UTF8', '--locale=C']));
        fs.appendFileSync(path.join(data, 'postgresql.conf'), `\ninclude '${config}'\n`);
      }
      fs.rmSync(path.join(data, 'postmaster.pid'), { force: true });
      // pg_ctl returns once the postmaster is accepting connections; the postmaster is then reparented.
      run(...asPostgres(`${PG_BIN}/pg_ctl`, ['-D', data, '-l', logFile, '-w', '-t', String(START_TIMEOUT_MS / 1000), 'start']));
      return Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    },
  };
}

function secrets() {
  try {
    const stored = JSON.parse(fs.readFileSync(SECRETS, 'utf8'));
    if (typeof stored.hecToken === 'string' && typeof stored.apiToken === 'string') return stored;
  } catch {
    // absent or unreadable: generate
  }
  const fresh = { hecToken: randomUUID(), apiToken: randomUUID() };
  fs.writeFileSync(SECRETS, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600 });
  return fresh;
}

function writeNodeConfigs() {
  const { hecToken, apiToken } = secrets();
  fs.chmodSync(SECRETS, 0o600);
  return NODES.map((node) => {
    const first = REPLICAS.find((r) => r.name === node.first);
    const urls = [first, ...REPLICAS.filter((r) => r !== first)].map((r) => `http://127.0.0.1:${r.http}`);
    const file = path.join(DIR, `node-${node.n}.yml`);
    const text = `# vigil serve config for node ${node.n} of the local cluster: written by \`npm run cluster:up\` (rewritten on
# every run; the tokens are kept in secrets.json). Start it with: vigil serve --config ${rel(file)}
dataDir: ./node-${node.n}/data
# A fixed name: restarted, the node resumes its own run leases at once (docs/scale-out.md).
node:
  name: vigil-${node.n}
hec:
  host: 127.0.0.1
  port: ${node.hec}
  tokens:
    - name: cluster
      token: ${hecToken}
      defaultSourcetype: cisco:isovalent
http:
  host: 127.0.0.1
  port: ${node.api}
  apiTokens:
    - name: cluster
      token: ${apiToken}
store:
  type: clickhouse
  clickhouse:
    urls: [${urls.join(', ')}]
    cluster: ${CLUSTER}
    database: vigil
    username: default
    password: ""
    insertQuorum: 2
  postgres:
    url: postgresql://vigil@127.0.0.1:${PG_PORT}/vigil
`;
    fs.writeFileSync(file, text, { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    return file;
  });
}

// --- up --------------------------------------------------------------------------------------------------------

/** Starts a service unless our recorded process is already running it; returns whether it was started. */
async function ensure(service, pids) {
  const record = pids[service.key];
  if (isOurs(record)) {
    service.pid = record.pid;
    await waitFor(service, service.ready);
    return false;
  }
  if (await portOpen(service.port)) {
    // The same cluster started from another checkout (a CI clone beside a developer's tree): use it, but do not
    // record it, so this checkout's `down` leaves it alone. Anything else on the port is an error.
    if (await service.ready()) {
      service.external = true;
      return false;
    }
    throw new ClusterError(
      `${service.label}: port ${service.port} is in use by a process cluster:up did not start (stop it, or free the port)`,
    );
  }
  for (let attempt = 1; ; attempt++) {
    service.pid = service.start();
    pids[service.key] = { pid: service.pid, marker: service.marker, signal: service.stopSignal, log: service.log };
    writePids(pids);
    try {
      await waitFor(service, service.ready);
      return true;
    } catch (err) {
      if (!(err instanceof ExitedDuringStart) || attempt >= START_ATTEMPTS) throw err;
      log(`${err.message}; starting it again (attempt ${attempt + 1} of ${START_ATTEMPTS})`);
      await sleep(1000);
    }
  }
}

async function checkCluster() {
  for (const replica of REPLICAS) {
    const rows = await chQuery(replica, `SELECT count() FROM system.clusters WHERE cluster = '${CLUSTER}'`);
    if (rows !== '4') {
      throw new ClusterError(`ClickHouse ${replica.name}: system.clusters has ${rows} rows for '${CLUSTER}', expected 4`);
    }
  }
}

/** Replication works end to end: a table created ON CLUSTER, a quorum insert on one replica, read on the other. */
async function smokeTest() {
  const table = `default.vigil_smoke_${randomUUID().slice(0, 8)}`;
  await chQuery(
    REPLICAS[0],
    `CREATE TABLE ${table} ON CLUSTER ${CLUSTER} (n UInt32) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${table}', '{replica}') ORDER BY n`,
  );
  try {
    for (const shard of ['01', '02']) {
      const [writer, reader] = REPLICAS.filter((r) => r.shard === shard);
      await chQuery(writer, `INSERT INTO ${table} VALUES (${Number(shard)})`, { insert_quorum: '2' });
      const seen = await chQuery(reader, `SELECT count() FROM ${table}`);
      if (seen !== '1') {
        throw new ClusterError(`replication: ${reader.name} has ${seen} rows after a quorum insert on ${writer.name}`);
      }
    }
  } finally {
    await chQuery(REPLICAS[0], `DROP TABLE IF EXISTS ${table} ON CLUSTER ${CLUSTER}`);
  }
}

async function up() {
  const started = Date.now();
  installPackages();
  mkdir(DIR);
  fs.chmodSync(DIR, 0o755); // PostgreSQL runs as its own user and needs to reach .cluster/postgres
  const pids = readPids();
  const zookeeper = zookeeperService();
  const usersFile = clickhouseUsers();
  const clickhouses = REPLICAS.map((replica) => clickhouseService(replica, usersFile));
  const postgres = postgresService();
  const services = [zookeeper, ...clickhouses, postgres];

  // ZooKeeper first (ClickHouse connects to it at start); the others in parallel.
  const startedNow = [await ensure(zookeeper, pids)];
  startedNow.push(...(await Promise.all([...clickhouses, postgres].map((service) => ensure(service, pids)))));
  const anyStarted = startedNow.some(Boolean);

  await checkCluster();
  if (psql("select 1 from pg_database where datname = 'vigil'") !== '1') psql('create database vigil');
  for (const replica of REPLICAS) await chQuery(replica, 'CREATE DATABASE IF NOT EXISTS vigil');
  if (anyStarted) await smokeTest();
  const nodeFiles = writeNodeConfigs();

  log(anyStarted ? 'up' : 'already up (every server alive and answering): left as it was');
  for (const [i, service] of services.entries()) {
    if (service.external) {
      log(`  answering ${service.label}: started outside this checkout, used as it is (cluster:down leaves it)`);
      continue;
    }
    log(`  ${startedNow[i] ? 'started' : 'running'} ${service.label}`);
    log(`      pid ${service.pid}, ${service.address}`);
    log(`      config ${rel(service.config)}, log ${rel(service.log)}`);
  }
  log(`  vigil node configs: ${nodeFiles.map(rel).join(', ')} (tokens in ${rel(SECRETS)})`);
  for (const node of NODES) log(`      node-${node.n}: HEC 127.0.0.1:${node.hec}, API 127.0.0.1:${node.api}`);
  log(`  ClickHouse cluster '${CLUSTER}' (2 shards x 2 replicas), database vigil; stop with: npm run cluster:down`);
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

// --- status --------------------------------------------------------------------------------------------------

/** Exit 0 when every process this checkout recorded is alive (the servers of a complete cluster), else 1. */
function status() {
  const pids = readPids();
  const keys = ['zookeeper', ...REPLICAS.map((r) => `clickhouse-${r.name}`), 'postgres'];
  let up = 0;
  for (const key of keys) {
    const alive = isOurs(pids[key]);
    if (alive) up += 1;
    log(`${key}: ${alive ? `running (pid ${pids[key].pid})` : 'not running'}`);
  }
  process.exitCode = up === keys.length ? 0 : 1;
}

// --- down ------------------------------------------------------------------------------------------------------

async function stop(key, record) {
  if (!isOurs(record)) return `${key}: not running`;
  process.kill(record.pid, record.signal ?? 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isOurs(record)) return `${key}: stopped (pid ${record.pid})`;
    await sleep(200);
  }
  process.kill(record.pid, 'SIGKILL');
  return `${key}: killed after ${STOP_TIMEOUT_MS / 1000} s (pid ${record.pid})`;
}

async function down(purge) {
  const pids = readPids();
  const entries = Object.entries(pids);
  // ClickHouse and PostgreSQL before ZooKeeper: a replica shutting down still closes its ZooKeeper session.
  const first = entries.filter(([key]) => key !== 'zookeeper');
  const last = entries.filter(([key]) => key === 'zookeeper');
  for (const group of [first, last]) {
    for (const line of await Promise.all(group.map(([key, record]) => stop(key, record)))) log(line);
  }
  fs.rmSync(PIDS, { force: true });
  if (entries.length === 0) log('nothing recorded in .cluster/pids.json: nothing to stop');
  if (purge && fs.existsSync(DIR)) {
    // The tokens stay: exporters and scripts may already hold them.
    for (const entry of fs.readdirSync(DIR)) {
      if (entry !== path.basename(SECRETS)) fs.rmSync(path.join(DIR, entry), { recursive: true, force: true });
    }
    log(`purged ${rel(DIR)} (kept ${rel(SECRETS)})`);
  }
}

// --- main ------------------------------------------------------------------------------------------------------

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'up' && rest.length === 0) await up();
  else if (command === 'status' && rest.length === 0) status();
  else if (command === 'down' && rest.every((arg) => arg === '--purge')) await down(rest.includes('--purge'));
  else {
    console.error('usage: node scripts/cluster.mjs up | status | down [--purge]');
    process.exitCode = 2;
  }
} catch (error) {
  console.error(`cluster: ${error instanceof ClusterError ? error.message : error?.stack ?? error}`);
  if (command === 'up') console.error('cluster: what did start is recorded; `npm run cluster:down` stops it');
  process.exitCode = 1;
}
