#!/usr/bin/env python3
"""Independent expectations for the golden tests.

Computes, directly from the attack_data datasets, the rows Splunk would return for each bundled
detection. It shares no code with vigil: every detection's logic is written out by hand in Python from
the detection's SPL and Splunk's documented semantics (case-insensitive search values, stats dropping
rows whose BY field is missing, values() in byte order, strict strptime, bin flooring, ...).

    python3 test/golden/expected.py     # rewrites test/golden/expected/*.json
"""
import calendar
import json
import os
import re
from collections import OrderedDict

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', 'attack_data', 'datasets')
OUT = os.path.join(os.path.dirname(__file__), 'expected')
KINDS = ('process_exec', 'process_exit', 'process_kprobe', 'process_connect')


def load(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return [json.loads(line) for line in f if line.strip()]


def event_time(text):
    """RFC3339 with nanoseconds -> epoch seconds, truncated to microseconds (as vigil keeps _time)."""
    m = re.match(r'(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z$', text)
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    whole = calendar.timegm((y, mo, d, h, mi, s))
    frac = (m.group(7) or '0')[:6].ljust(6, '0')
    return whole, int(frac)  # (seconds, microseconds) kept exact


def kind_of(ev):
    for k in ev:
        if k in KINDS or k.startswith('process_'):
            return k
    return None


def sourcetype(ev):
    k = kind_of(ev)
    return {'process_exec': 'cisco:isovalent:processExec', 'process_connect': 'cisco:isovalent:processConnect'}.get(k, 'cisco:isovalent')


def basename(p):
    return p.rsplit('/', 1)[-1]


def fields(ev):
    """The add-on's CIM fields, derived by hand (see src/normalize/CONTEXT.md for the mapping)."""
    k = kind_of(ev)
    body = ev.get(k, {})
    proc = body.get('process', {})
    par = body.get('parent', {})
    pod = proc.get('pod', {})
    f = {}
    if 'binary' in proc:
        f['process_name'] = f['process_exec'] = basename(proc['binary'])
        f['process'] = proc['binary'] + (' ' + proc['arguments'] if proc.get('arguments') else '')
    if 'pid' in proc:
        f['process_id'] = proc['pid']
    if 'binary' in par:
        f['parent_process_name'] = basename(par['binary'])
    if 'name' in pod:
        f['pod_name'] = pod['name']
    if 'namespace' in pod:
        f['pod_namespace'] = pod['namespace']
    img = pod.get('container', {}).get('image', {})
    if 'name' in img:
        f['pod_image_name'] = img['name']
    if 'id' in pod.get('container', {}):
        f['container_id'] = pod['container']['id']
    for top in ('cluster_name', 'node_name'):
        if top in ev:
            f[top] = ev[top]
    if k == 'process_connect':
        for a, b in (('src_ip', 'source_ip'), ('dest_ip', 'destination_ip'), ('dest_port', 'destination_port')):
            if b in body:
                f[a] = body[b]
    sec, micro = event_time(ev['time'])
    f['_time'] = (sec, micro)
    return f


def text(v):
    return str(v)


def wildcard(pattern, value):
    """Splunk search value match: whole value, case-insensitive, * = any run."""
    rx = '^' + '.*'.join(re.escape(p) for p in pattern.lower().split('*')) + '$'
    return re.match(rx, text(value).lower(), re.S) is not None


def ctime(t):
    sec = t[0] if isinstance(t, tuple) else int(t // 1)
    return __import__('time').strftime('%Y-%m-%dT%H:%M:%S', __import__('time').gmtime(sec))


def stats(rows, by, aggs):
    """stats ... by: rows missing a BY field are dropped; returns one dict per group."""
    groups = OrderedDict()
    for r in rows:
        if any(b not in r or r[b] == '' and False for b in by):
            continue
        key = tuple(text(r[b]) if b != '_time' else r[b] for b in by)
        groups.setdefault(key, []).append(r)
    out = []
    for key, members in groups.items():
        row = OrderedDict((b, members[0][b]) for b in by)
        for name, fn in aggs:
            row[name] = fn(members)
        out.append(row)
    return out


count = lambda ms: len(ms)
def tmin(ms): return min(m['_time'] for m in ms)
def tmax(ms): return max(m['_time'] for m in ms)
def values(field):
    return lambda ms: sorted({text(m[field]) for m in ms if field in m})


def finish(rows, ctime_fields=('firstTime', 'lastTime')):
    """Render like the detections' tails: security_content_ctime on time fields, everything else as text."""
    out = []
    for r in rows:
        o = OrderedDict()
        for k, v in r.items():
            if k in ctime_fields:
                o[k] = ctime(v)
            elif isinstance(v, tuple):
                o[k] = str(v[0]) if v[1] == 0 else f'{v[0]}.{v[1]:06d}'.rstrip('0')
            elif isinstance(v, list):
                o[k] = v[0] if len(v) == 1 else v
            else:
                o[k] = text(v)
        out.append(o)
    return out


PROC_BY = ['cluster_name', 'pod_name', 'parent_process_name', 'process_name', 'process_exec', 'process_id', 'node_name']
WIDE_BY = ['cluster_name', 'container_id', 'pod_name', 'pod_namespace', 'pod_image_name', 'parent_process_name', 'process_name', 'process_exec', 'process_id', 'node_name']


def execs(rel):
    return [fields(e) for e in load(rel) if sourcetype(e) == 'cisco:isovalent:processExec']


def curl():
    rx = re.compile(r'(?i)(?<!\w)-(?:[a-z]*k[a-z]*|-(insecure|proxy-insecure|doh-insecure))')
    rows = [r for r in execs('cisco_isovalent/cisco_isovalent.log') if r.get('process_name', '').lower() == 'curl' and rx.search(r['process'])]
    return finish(stats(rows, PROC_BY, [('count', count), ('firstTime', tmin), ('lastTime', tmax), ('process', values('process'))]))


def cron():
    rows = [r for r in execs('cisco_isovalent/cisco_isovalent.log') if r.get('process_name', '').lower() in ('crond', 'cron', 'crontab') and r.get('pod_name', '') != '']
    return finish(stats(rows, PROC_BY, [('count', count), ('firstTime', tmin), ('lastTime', tmax), ('process', values('process'))]))


ALLOWED = ['docker.io/library/ubuntu:22.04', 'docker.io/grafana/grafana:12.0.1', 'quay.io/isovalent-dev/tetragon-ci*', 'quay.io/isovalent/tetragon-ci*', 'quay.io/isovalent/hubble-export-fluentd*']


def image():
    rows = [r for r in execs('cisco_isovalent/cisco_isovalent.log') if r.get('pod_name', '') != '' and not ('pod_image_name' in r and any(wildcard(p, r['pod_image_name']) for p in ALLOWED))]
    return finish(stats(rows, ['pod_image_name', 'pod_namespace', 'pod_name', 'process_name', 'cluster_name'], [('count', count), ('firstTime', tmin), ('lastTime', tmax)]))


def nsenter():
    rows = [r for r in execs('cisco_isovalent/cisco_isovalent.log') if r.get('process_name', '').lower() == 'nsenter']
    for r in rows:
        if 'parent_process_name' in r:
            r['WorkloadAncestorsBinary'] = r['parent_process_name']
    return finish(stats(rows, WIDE_BY, [('count', count), ('firstTime', tmin), ('lastTime', tmax), ('process', values('process')), ('WorkloadAncestorsBinary', values('WorkloadAncestorsBinary'))]))


OFFSEC = ['nmap', 'masscan', 'zmap', 'amap', 'netcat', 'nc', 'hping3', 'ike-scan', 'dnsenum', 'dnsrecon', 'fierce', 'theharvester', 'sublist3r',
          'metasploit', 'msfconsole', 'msfvenom', 'empire', 'pupy', 'covenant', 'havoc', 'sliver-client', 'sliver-server', 'poshc2', 'mythic', 'evilginx', 'beef-xss',
          'hydra', 'medusa', 'john', 'hashcat', 'crowbar', 'patator', 'mimikatz', 'impacket-',
          'ldapdomaindump', 'enum4linux', 'smbclient', 'smbmap', 'crackmapexec', 'bloodhound', 'sharphound', 'linpeas', 'linenum', 'pspy', 'ldpreload',
          'peass-ng', 'linpeas', 'linux-exploit-suggester', 'les', 'exploitdb', 'persistence', 'dirtycow', 'dirtypipe', 'sudo_killer']


def offensive():
    rows = [r for r in execs('cisco_isovalent/cisco_isovalent.log') if r.get('process_name', '').lower() in OFFSEC]
    return finish(stats(rows, WIDE_BY, [('count', count), ('firstTime', tmin), ('lastTime', tmax), ('process', values('process'))]))


SHELLS = ['sh', 'ksh', 'zsh', 'bash', 'dash', 'rbash', 'fish', 'csh', 'tcsh', 'ion', 'eshell']


def shell():
    rows = [r for r in execs('cisco_isovalent/cisco_isovalent.log') if r.get('process_name', '').lower() in SHELLS]
    return finish(stats(rows, ['cluster_name', 'parent_process_name', 'process_name', 'process_exec', 'process_id', 'node_name'], [('count', count)]))


def bin5m(r):
    r = dict(r)
    r['_time'] = (r['_time'][0] - r['_time'][0] % 300, 0)
    return r


def kprobe():
    rows = []
    for e in load('cisco_isovalent/kprobe_spike.log'):
        if sourcetype(e) != 'cisco:isovalent':
            continue
        kp = e.get('process_kprobe')
        if not kp or not kp.get('action'):
            continue
        r = bin5m(fields(e))
        parent_pod = kp.get('parent', {}).get('pod', {}).get('name')
        r.pop('pod_name', None)
        if parent_pod is not None:
            r['pod_name'] = parent_pod
        r['fn'] = kp['function_name']
        r['bin'] = kp['process']['binary']
        r['sargs'] = [a['string_arg'] for a in kp.get('args', []) if 'string_arg' in a]
        rows.append(r)
    def mv_values(field):
        return lambda ms: sorted({v for m in ms for v in (m[field] if isinstance(m[field], list) else [m[field]])})
    out = stats(rows, ['pod_name', '_time'], [('kprobe_count', count), ('functions', mv_values('fn')), ('binaries', mv_values('bin')), ('args', mv_values('sargs'))])
    return finish([r for r in out if r['kprobe_count'] > 10])


def strptime_q(text, digits):
    """strptime(text, "%Y-%m-%dT%H:%M:%S.%<digits>Q"): the literal '.' must be there; 1..digits digits; trailing text ignored."""
    m = re.match(r'(\d{4})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})\.(\d{1,%d})' % digits, text)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    return calendar.timegm((y, mo, d, h, mi, s)), m.group(7)


def late():
    out = []
    for e in load('cisco_isovalent/cisco_isovalent_process_exec_delayed_shell.log'):
        if sourcetype(e) != 'cisco:isovalent:processExec':
            continue
        r = fields(e)
        if r.get('process_name', '').lower() != 'sh':
            continue
        proc = e['process_exec']['process']
        pst = strptime_q(proc['start_time'], 3)
        cst = strptime_q(proc['pod']['container']['start_time'], 9)
        if pst is None or cst is None:
            continue
        # compare exactly: seconds and fraction as decimals
        from decimal import Decimal
        p = Decimal(pst[0]) + Decimal('0.' + pst[1])
        c5 = Decimal(cst[0]) + Decimal('0.' + cst[1]) + 300
        if not p > c5:
            continue
        row = OrderedDict()
        for k in ('node_name', 'cluster_name', 'pod_name', 'container_id', 'process_name', 'process_exec', 'process'):
            if k in r:
                row[k] = text(r[k])
        row['ProcessStartTime'] = ctime((int(p), 0))
        row['ContainerTime5min'] = ctime((int(c5), 0))
        out.append(row)
    return out


def escape():
    rows = []
    for r in execs('attack_techniques/T1611/cisco_isovalent_k8_escape/cisco_isovalent.log'):
        name = r.get('process_name', '').lower()
        proc = r.get('process', '')
        if name in ('nsenter', 'mount', 'ps', 'ls') or any(wildcard(p, proc) for p in ('*nsenter*', '*mount*', '*ps aux*', '*ps -ef*')):
            rows.append(bin5m(r))
    groups = stats(rows, ['cluster_name', 'node_name', 'pod_name', '_time'], [
        ('total_events', count),
        ('distinct_cmds', lambda ms: len({m['process_name'] for m in ms})),
        ('firstTime', tmin), ('lastTime', tmax),
        ('process', values('process')), ('process_name', values('process_name'))])
    out = []
    for g in groups:
        duration = round(g['lastTime'][0] - g['firstTime'][0])
        if g['distinct_cmds'] >= 2 and duration <= 120:
            row = OrderedDict()
            for k in ('_time', 'cluster_name', 'node_name', 'pod_name', 'total_events', 'distinct_cmds'):
                row[k] = g[k]
            row['duration_s'] = duration
            for k in ('firstTime', 'lastTime', 'process', 'process_name'):
                row[k] = g[k]
            out.append(row)
    return finish(out)


def cloud():
    rows = []
    for e in load('attack_techniques/T1552.005/isovalent_cloud_metadata/process_connect.log'):
        if sourcetype(e) != 'cisco:isovalent:processConnect':
            continue
        r = fields(e)
        binary = e['process_connect'].get('parent', {}).get('binary')
        if binary is None or any(wildcard(p, binary) for p in ('*/app/aws-vpc-cni', '*/bin/amazon-ssm-agent', '*/bin/ssm-agent-worker')):
            continue
        rows.append(r)
    return finish(stats(rows, ['cluster_name', 'pod_name', 'pod_image_name', 'pod_namespace', 'node_name', 'dest_ip'],
                        [('count', count), ('firstTime', tmin), ('lastTime', tmax), ('dest_port', values('dest_port')), ('src_ip', values('src_ip'))]))


DETECTIONS = {
    'cisco_isovalent___curl_execution_with_insecure_flags': curl,
    'cisco_isovalent___cron_job_creation': cron,
    'cisco_isovalent___non_allowlisted_image_use': image,
    'cisco_isovalent___nsenter_usage_in_kubernetes_pod': nsenter,
    'cisco_isovalent___pods_running_offensive_tools': offensive,
    'cisco_isovalent___shell_execution': shell,
    'cisco_isovalent___kprobe_spike': kprobe,
    'cisco_isovalent___late_process_execution': late,
    'cisco_isovalent___potential_escape_to_host': escape,
    'cisco_isovalent___access_to_cloud_metadata_service': cloud,
}

if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    for name, fn in DETECTIONS.items():
        rows = fn()
        with open(os.path.join(OUT, name + '.json'), 'w') as f:
            json.dump(rows, f, indent=2)
            f.write('\n')
        print(f'{name}: {len(rows)} rows')
