/**
 * MITRE ATT&CK (Enterprise) techniques used by the bundled content and common in container/Linux
 * detections, with their tactics. Used to annotate risk events with tactics and to lint unknown ids.
 * Ids not listed here are still accepted at run time (with no tactic); `vigil validate` warns about them.
 */
export interface AttackTechnique {
  id: string;
  name: string;
  tactics: string[];
}

const T = (id: string, name: string, ...tactics: string[]): AttackTechnique => ({ id, name, tactics });

const EXEC = 'Execution';
const PERS = 'Persistence';
const PRIV = 'Privilege Escalation';
const DEF = 'Defense Evasion';
const CRED = 'Credential Access';
const DISC = 'Discovery';
const LAT = 'Lateral Movement';
const COLL = 'Collection';
const C2 = 'Command And Control';
const EXFIL = 'Exfiltration';
const IMPACT = 'Impact';
const INIT = 'Initial Access';
const RECON = 'Reconnaissance';
const RES = 'Resource Development';

const TECHNIQUES: AttackTechnique[] = [
  T('T1003', 'OS Credential Dumping', CRED),
  T('T1003.008', '/etc/passwd and /etc/shadow', CRED),
  T('T1005', 'Data from Local System', COLL),
  T('T1014', 'Rootkit', DEF),
  T('T1018', 'Remote System Discovery', DISC),
  T('T1021', 'Remote Services', LAT),
  T('T1021.004', 'SSH', LAT),
  T('T1027', 'Obfuscated Files or Information', DEF),
  T('T1033', 'System Owner/User Discovery', DISC),
  T('T1036', 'Masquerading', DEF),
  T('T1040', 'Network Sniffing', CRED, DISC),
  T('T1046', 'Network Service Discovery', DISC),
  T('T1048', 'Exfiltration Over Alternative Protocol', EXFIL),
  T('T1053', 'Scheduled Task/Job', EXEC, PERS, PRIV),
  T('T1053.002', 'At', EXEC, PERS, PRIV),
  T('T1053.003', 'Cron', EXEC, PERS, PRIV),
  T('T1053.006', 'Systemd Timers', EXEC, PERS, PRIV),
  T('T1053.007', 'Container Orchestration Job', EXEC, PERS, PRIV),
  T('T1057', 'Process Discovery', DISC),
  T('T1059', 'Command and Scripting Interpreter', EXEC),
  T('T1059.004', 'Unix Shell', EXEC),
  T('T1059.006', 'Python', EXEC),
  T('T1068', 'Exploitation for Privilege Escalation', PRIV),
  T('T1069', 'Permission Groups Discovery', DISC),
  T('T1070', 'Indicator Removal', DEF),
  T('T1070.004', 'File Deletion', DEF),
  T('T1071', 'Application Layer Protocol', C2),
  T('T1078', 'Valid Accounts', DEF, PERS, PRIV, INIT),
  T('T1082', 'System Information Discovery', DISC),
  T('T1083', 'File and Directory Discovery', DISC),
  T('T1087', 'Account Discovery', DISC),
  T('T1090', 'Proxy', C2),
  T('T1095', 'Non-Application Layer Protocol', C2),
  T('T1098', 'Account Manipulation', PERS, PRIV),
  T('T1105', 'Ingress Tool Transfer', C2),
  T('T1110', 'Brute Force', CRED),
  T('T1132', 'Data Encoding', C2),
  T('T1136', 'Create Account', PERS),
  T('T1136.001', 'Local Account', PERS),
  T('T1140', 'Deobfuscate/Decode Files or Information', DEF),
  T('T1190', 'Exploit Public-Facing Application', INIT),
  T('T1204', 'User Execution', EXEC),
  T('T1204.003', 'Malicious Image', EXEC),
  T('T1210', 'Exploitation of Remote Services', LAT),
  T('T1222', 'File and Directory Permissions Modification', DEF),
  T('T1222.002', 'Linux and Mac File and Directory Permissions Modification', DEF),
  T('T1485', 'Data Destruction', IMPACT),
  T('T1486', 'Data Encrypted for Impact', IMPACT),
  T('T1489', 'Service Stop', IMPACT),
  T('T1496', 'Resource Hijacking', IMPACT),
  T('T1505', 'Server Software Component', PERS),
  T('T1525', 'Implant Internal Image', PERS),
  T('T1528', 'Steal Application Access Token', CRED),
  T('T1543', 'Create or Modify System Process', PERS, PRIV),
  T('T1543.002', 'Systemd Service', PERS, PRIV),
  T('T1546', 'Event Triggered Execution', PRIV, PERS),
  T('T1547', 'Boot or Logon Autostart Execution', PERS, PRIV),
  T('T1547.006', 'Kernel Modules and Extensions', PERS, PRIV),
  T('T1548', 'Abuse Elevation Control Mechanism', PRIV, DEF),
  T('T1548.001', 'Setuid and Setgid', PRIV, DEF),
  T('T1548.003', 'Sudo and Sudo Caching', PRIV, DEF),
  T('T1552', 'Unsecured Credentials', CRED),
  T('T1552.001', 'Credentials In Files', CRED),
  T('T1552.005', 'Cloud Instance Metadata API', CRED),
  T('T1552.007', 'Container API', CRED),
  T('T1555', 'Credentials from Password Stores', CRED),
  T('T1562', 'Impair Defenses', DEF),
  T('T1562.001', 'Disable or Modify Tools', DEF),
  T('T1571', 'Non-Standard Port', C2),
  T('T1572', 'Protocol Tunneling', C2),
  T('T1573', 'Encrypted Channel', C2),
  T('T1574', 'Hijack Execution Flow', PERS, PRIV, DEF),
  T('T1574.006', 'Dynamic Linker Hijacking', PERS, PRIV, DEF),
  T('T1583', 'Acquire Infrastructure', RES),
  T('T1595', 'Active Scanning', RECON),
  T('T1609', 'Container Administration Command', EXEC),
  T('T1610', 'Deploy Container', DEF, EXEC),
  T('T1611', 'Escape to Host', PRIV),
  T('T1612', 'Build Image on Host', DEF),
  T('T1613', 'Container and Resource Discovery', DISC),
  T('T1620', 'Reflective Code Loading', DEF),
];

export const ATTACK_TECHNIQUES: ReadonlyMap<string, AttackTechnique> = new Map(TECHNIQUES.map((t) => [t.id, t]));

/**
 * ATT&CK's id and short name of each tactic name. Splunk ES annotates risk events with these
 * (`annotations.mitre_attack.mitre_tactic_id` = `TA0004`, `annotations.mitre_attack.mitre_tactic` =
 * `privilege-escalation`): ESCU's risk rules count the ids and filter on the short names.
 */
const TACTIC_IDS: ReadonlyMap<string, { id: string; shortName: string }> = new Map(
  (
    [
      [INIT, 'TA0001'], [EXEC, 'TA0002'], [PERS, 'TA0003'], [PRIV, 'TA0004'], [DEF, 'TA0005'], [CRED, 'TA0006'],
      [DISC, 'TA0007'], [LAT, 'TA0008'], [COLL, 'TA0009'], [EXFIL, 'TA0010'], [C2, 'TA0011'], [IMPACT, 'TA0040'],
      [RES, 'TA0042'], [RECON, 'TA0043'],
    ] as const
  ).map(([name, id]) => [name, { id, shortName: name.toLowerCase().replaceAll(' ', '-') }]),
);

/** A tactic's ATT&CK id and short name (`Command And Control` → `TA0011`, `command-and-control`). */
export function tacticIds(name: string): { id: string; shortName: string } {
  return TACTIC_IDS.get(name)!;
}

const TACTIC_BY_SHORT_NAME: ReadonlyMap<string, string> = new Map([...TACTIC_IDS].map(([name, t]) => [t.shortName, name]));

/** A tactic as people read it: ATT&CK's short name (`command-and-control`, as risk events hold it) as its name, others unchanged. */
export function tacticName(tactic: string): string {
  return TACTIC_BY_SHORT_NAME.get(tactic) ?? tactic;
}

/** Tactics of a technique; a sub-technique falls back to its parent's. */
export function tacticsOf(id: string): string[] {
  const t = ATTACK_TECHNIQUES.get(id) ?? ATTACK_TECHNIQUES.get(id.split('.')[0]!);
  return t ? t.tactics : [];
}

export function isAttackId(id: string): boolean {
  return /^T\d{4}(\.\d{3})?$/.test(id);
}
