// Builds realistic Tetragon JSON events (protojson field order and encoding, as in the real samples in
// ../shared/datasets). Used by build-datasets.mjs (the test datasets) and bench/ (the benchmark data).
// Deterministic: every id derives from the inputs, so rebuilding gives byte-identical files.

const b64 = (s) => Buffer.from(s).toString('base64');

/** RFC 3339 with nanoseconds, as Tetragon prints `time`. `epoch` in seconds (fractional ok), `nanos` overrides the fraction. */
export function rfc3339(epoch, nanos) {
  const whole = Math.floor(epoch);
  const ns = nanos ?? Math.round((epoch - whole) * 1e9);
  const base = new Date(whole * 1000).toISOString().slice(0, 19);
  return `${base}.${String(ns).padStart(9, '0')}Z`;
}

/** A whole-second timestamp, as Tetragon prints container start times. */
export function rfc3339Seconds(epoch) {
  return new Date(Math.floor(epoch) * 1000).toISOString().slice(0, 19) + 'Z';
}

function execId(node, ktime, pid) {
  return b64(`${node}:${ktime}:${pid}`);
}

/**
 * A Process message. `p`: { binary, args?, pid, uid?, cwd?, start (epoch), pod?, node, ktime?, parentExecId?, flags?, auid?, user? }
 * (`user`: the user name, which Tetragon resolves only for host processes with --username-metadata=unix).
 */
export function processMessage(p) {
  const ktime = p.ktime ?? Math.round(p.start * 1e6) % 1e13;
  const out = {
    exec_id: execId(p.node, ktime, p.pid),
    pid: p.pid,
    uid: p.uid ?? 0,
    cwd: p.cwd ?? '/',
    binary: p.binary,
  };
  if (p.args) out.arguments = p.args;
  out.flags = p.flags ?? 'execve clone';
  out.start_time = p.startText ?? rfc3339(p.start);
  out.auid = p.auid ?? 4294967295;
  if (p.pod) out.pod = podMessage(p.pod);
  if (p.pod) out.docker = p.pod.containerId.slice(0, 31);
  if (p.parentExecId) out.parent_exec_id = p.parentExecId;
  out.tid = p.pid;
  if (p.user) out.user = { name: p.user };
  out.in_init_tree = false;
  return out;
}

/** `pod`: { namespace, name, image, imageId?, containerId, containerName, containerStart (text), workload?, workloadKind?, labels? } */
function podMessage(pod) {
  const out = {
    namespace: pod.namespace,
    name: pod.name,
    container: {
      id: `containerd://${pod.containerId}`,
      name: pod.containerName,
      image: { id: pod.imageId ?? `sha256:${pod.containerId.split('').reverse().join('')}`, name: pod.image },
      start_time: pod.containerStart,
      pid: pod.containerPid ?? 1,
      security_context: pod.privileged ? { privileged: true } : {},
    },
    pod_labels: pod.labels ?? { app: pod.workload ?? pod.name },
  };
  if (pod.workload) out.workload = pod.workload;
  if (pod.workloadKind) out.workload_kind = pod.workloadKind;
  return out;
}

/** Top-level envelope in Tetragon's order: the event, node_name, time, cluster_name (cluster omitted when null). */
function envelope(kind, body, e) {
  const out = { [kind]: body, node_name: e.node, time: rfc3339(e.time) };
  if (e.cluster !== null && e.cluster !== undefined) out.cluster_name = e.cluster;
  return out;
}

/** The parent's pod: its own when given (null = a host process such as containerd-shim), else the child's. */
const parentPod = (e) => (e.parent.pod === undefined ? e.process.pod : (e.parent.pod ?? undefined));

/** A process_exec event. `e`: { time, node, cluster, process: {...}, parent: {...} } (see processMessage). */
export function processExec(e) {
  const parent = processMessage({ ...e.parent, node: e.node, pod: parentPod(e) });
  const proc = processMessage({ ...e.process, node: e.node, parentExecId: parent.exec_id });
  return envelope('process_exec', { process: proc, parent }, e);
}

export function processExit(e) {
  const parent = processMessage({ ...e.parent, node: e.node, pod: parentPod(e) });
  const proc = processMessage({ ...e.process, node: e.node, parentExecId: parent.exec_id });
  return envelope('process_exit', { process: proc, parent, status: e.status ?? 0, time: rfc3339(e.time) }, e);
}

/** A process_kprobe event: `e.kprobe` = { function_name, args: [...], action?, policy_name? } */
export function processKprobe(e) {
  const parent = processMessage({ ...e.parent, node: e.node, pod: parentPod(e) });
  const proc = processMessage({ ...e.process, node: e.node, parentExecId: parent.exec_id });
  const body = { process: proc, parent, function_name: e.kprobe.function_name, args: e.kprobe.args };
  if (e.kprobe.return) body.return = e.kprobe.return;
  body.action = e.kprobe.action ?? 'KPROBE_ACTION_POST';
  if (e.kprobe.policy_name) body.policy_name = e.kprobe.policy_name;
  return envelope('process_kprobe', body, e);
}

/** A process_connect event (Isovalent Enterprise shape): `e.socket` = { source_ip, source_port, destination_ip, destination_port, protocol } */
export function processConnect(e) {
  const parent = processMessage({ ...e.parent, node: e.node, pod: parentPod(e) });
  const proc = processMessage({ ...e.process, node: e.node, parentExecId: parent.exec_id });
  return envelope('process_connect', { process: proc, parent, ...e.socket }, e);
}

/** A deterministic pseudo-random generator (mulberry32) for generated data. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 64-hex container id derived from a name. */
export function containerIdFor(name) {
  let h = 0x811c9dc5;
  let out = '';
  for (let round = 0; out.length < 64; round++) {
    for (const c of name + round) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}
