#!/usr/bin/env node
// A restart storm: 50 instances of `false` with backoff 0 and no start limit, each dying as soon as it
// starts, for a fixed time per run. Measured in each run:
//  - the daemon's CPU per restart: utime + stime of the daemon (/proc/PID/stat) over the window, divided
//    by the restarts counted in `corral status` over the same window;
//  - `corral status --json` end to end (CLI process start included) while the storm runs, repeated, and a
//    bare status request on the control socket (connect, request, reply), median and p95;
//  - how fast the state directory grows, per minute: logs, status file, post-mortems (the issue saw 16 MB
//    of post-mortems a minute);
//  - beside it, in the same run, a bare launcher (build/bare_launcher: fork + execv + waitpid, nothing
//    else) keeping 50 `false` running for the same time: its CPU per spawn is the floor of a restart.
// Judged on the median of the runs; the spread (min to max) is printed with it. Targets: under 2 ms of
// daemon CPU per restart, and `corral status` under 20 ms during the storm.
// Run it inside a memory-limited cgroup (scripts/run-limited.sh 8G -- node bench/restart_storm.js): the
// daemon's instance cgroups go below the daemon's own, so the storm stays inside the limit too.
// Usage: node bench/restart_storm.js [--runs N] [--seconds S] [--instances K] [--cgroups auto|off]
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const { spawnSync } = require('child_process');
const lib = require('./lib');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const runs = Number(option('--runs', 5));
const seconds = Number(option('--seconds', 10));
const instances = Number(option('--instances', 50));
const cgroups = option('--cgroups', 'auto');
const bareLauncher = process.env.BARE_LAUNCHER || path.join(lib.root, 'build', 'bare_launcher');
const falseProgram = ['/bin/false', '/usr/bin/false'].find((p) => fs.existsSync(p));
const ticksPerSecond = 100;  // USER_HZ, what /proc/PID/stat counts in

function cpuMs(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;  // utime, stime
}

// Bytes in the state directory (logs, corral.log and its rotations, status.json, post-mortems).
function dirBytes(dir) {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    try {
      if (entry.isDirectory()) total += dirBytes(file);
      else if (entry.isFile()) total += fs.statSync(file).size;
    } catch {}  // removed meanwhile (retention, rotation, a temp file renamed)
  }
  return total;
}

function cliStatus(socket) {
  const before = process.hrtime.bigint();
  const result = spawnSync(lib.corralBinary, ['status', '--json', '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  const took = lib.ms(process.hrtime.bigint() - before);
  if (result.status !== 0) throw new Error(`corral status failed: ${result.stderr}`);
  return { took, status: JSON.parse(result.stdout.toString()) };
}

// One status request on the control socket: connect, ask, read the whole reply line.
function socketStatus(socket) {
  return new Promise((resolve, reject) => {
    const before = process.hrtime.bigint();
    const client = net.connect(socket);
    let data = '';
    const timer = setTimeout(() => { client.destroy(); reject(new Error('status over the socket timed out')); }, 30_000);
    client.on('connect', () => client.write('{"v":1,"id":1,"cmd":"status"}\n'));
    client.on('data', (chunk) => {
      data += chunk;
      if (!data.includes('\n')) return;
      clearTimeout(timer);
      client.destroy();
      resolve({ took: lib.ms(process.hrtime.bigint() - before), reply: JSON.parse(data.slice(0, data.indexOf('\n'))) });
    });
    client.on('error', (error) => { clearTimeout(timer); reject(error); });
  });
}

const restartsIn = (status) => status.instances.reduce((sum, instance) => sum + instance.restarts, 0);

function bareRun() {
  const result = spawnSync(bareLauncher, [String(seconds), String(instances), falseProgram], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const match = /spawns (\d+) cpu_us (\d+)/.exec(result.stdout || '');
  if (!match) throw new Error(`bare_launcher failed: ${result.stderr || result.error}`);
  return { spawns: Number(match[1]), cpuPerSpawn: Number(match[2]) / 1000 / Number(match[1]) };
}

async function corralRun() {
  const dir = lib.tempDir('storm');
  const corral = lib.startCorral(dir, `
[supervisor]
cgroups = "${cgroups}"

[services.storm]
command = ["${falseProgram}"]
instances = ${instances}
backoff = { initial = "0ms" }
start_limit = { interval = "0s" }
`);
  const socket = path.join(dir, '.corral', 'corral.sock');
  try {
    await lib.waitFor(() => fs.existsSync(socket), 10_000, 'the control socket');
    await lib.sleep(1000);  // the storm is under way
    const first = cliStatus(socket);
    const cpu0 = cpuMs(corral.pid);
    const state = path.join(dir, '.corral');
    const wrote0 = dirBytes(state);
    const t0 = process.hrtime.bigint();
    const cli = [];
    const bare = [];
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      cli.push(cliStatus(socket).took);
      await lib.sleep(25);
      bare.push((await socketStatus(socket)).took);
      await lib.sleep(25);
    }
    const last = cliStatus(socket);
    const elapsed = lib.ms(process.hrtime.bigint() - t0) / 1000;
    const cpu = cpuMs(corral.pid) - cpu0;
    const wrote = dirBytes(state) - wrote0;
    const restarts = restartsIn(last.status) - restartsIn(first.status);
    const bundles = fs.existsSync(path.join(dir, '.corral', 'postmortem'))
      ? fs.readdirSync(path.join(dir, '.corral', 'postmortem')).reduce((n, d) => n + fs.readdirSync(path.join(dir, '.corral', 'postmortem', d)).length, 0)
      : 0;
    return {
      restartsPerSecond: restarts / elapsed,
      cpuPerRestart: cpu / restarts,
      cli,
      bare,
      writtenMiBPerMinute: (wrote / (1 << 20)) * (60 / elapsed),
      bundles,
      rss: lib.statusKiB(corral.pid, 'VmRSS') / 1024,
    };
  } finally {
    const { code } = await lib.stopCorral(corral);
    const stderr = fs.readFileSync(path.join(dir, 'corral.stderr'), 'utf8');
    fs.rmSync(dir, { recursive: true, force: true });
    if (code !== 0) throw new Error(`corral exited with ${code}:\n${stderr.slice(-2000)}`);
  }
}

const f = (x, d = 2) => x.toFixed(d);
const spread = (values, d = 2) => `${f(Math.min(...values), d)}-${f(Math.max(...values), d)}`;

async function main() {
  for (const binary of [lib.corralBinary, bareLauncher]) {
    if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run scripts/build.sh first`);
  }
  console.log(`restart storm: ${instances} instances of \`false\`, backoff 0, no start limit, cgroups = "${cgroups}", ` +
              `${seconds} s per run, ${runs} runs`);
  console.log('run  restarts/s  daemon CPU/restart  bare CPU/spawn  ratio   status CLI med/p95   socket med/p95   state dir MiB/min  bundles  RSS MiB');
  const rows = [];
  for (let i = 0; i < runs; i++) {
    const b = bareRun();
    const c = await corralRun();
    const row = { ...c, bareCpu: b.cpuPerSpawn, ratio: c.cpuPerRestart / b.cpuPerSpawn,
                  cliMedian: lib.median(c.cli), cliP95: lib.percentile(c.cli, 95),
                  bareMedian: lib.median(c.bare), bareP95: lib.percentile(c.bare, 95) };
    rows.push(row);
    console.log(`${String(i + 1).padStart(3)}  ${f(row.restartsPerSecond, 1).padStart(10)}  ${(f(row.cpuPerRestart, 3) + ' ms').padStart(18)}  ` +
                `${(f(row.bareCpu, 3) + ' ms').padStart(14)}  ${(f(row.ratio, 1) + 'x').padStart(5)}  ` +
                `${(f(row.cliMedian) + ' / ' + f(row.cliP95)).padStart(19)}  ${(f(row.bareMedian) + ' / ' + f(row.bareP95)).padStart(15)}  ` +
                `${f(row.writtenMiBPerMinute, 1).padStart(17)}  ${String(row.bundles).padStart(7)}  ${f(row.rss, 1).padStart(7)}`);
  }
  const col = (key) => rows.map((r) => r[key]);
  const line = (label, key, unit, d = 3) => console.log(`  ${label.padEnd(34)} ${(f(lib.median(col(key)), d) + unit).padStart(12)}   spread ${spread(col(key), d)}${unit}`);
  console.log('\nmedian of the runs');
  line('restarts per second', 'restartsPerSecond', '', 1);
  line('daemon CPU per restart', 'cpuPerRestart', ' ms');
  line('bare launcher CPU per spawn', 'bareCpu', ' ms');
  line('corral / bare launcher', 'ratio', 'x', 1);
  line('corral status (CLI), median', 'cliMedian', ' ms', 2);
  line('corral status (CLI), p95', 'cliP95', ' ms', 2);
  line('status on the socket, median', 'bareMedian', ' ms', 2);
  line('status on the socket, p95', 'bareP95', ' ms', 2);
  line('state directory growth per minute', 'writtenMiBPerMinute', ' MiB', 1);
  const cpu = lib.median(col('cpuPerRestart'));
  const status = lib.median(col('cliMedian'));
  console.log(`\ntargets: daemon CPU per restart under 2 ms: ${cpu < 2 ? 'met' : 'MISSED'} (${f(cpu, 3)} ms); ` +
              `corral status under 20 ms during the storm: ${status < 20 ? 'met' : 'MISSED'} (${f(status)} ms median, ` +
              `p95 ${f(lib.median(col('cliP95')))} ms)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
