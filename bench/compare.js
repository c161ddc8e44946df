#!/usr/bin/env node
// corral beside pm2 (npm), supervisord (Debian's package) and bare `node` started by build/bare_launcher
// (fork + execv, no Node in between), in one run, on every figure of this table:
//   idle    daemon RSS and daemon CPU with 50 idle Node services, CPU over IDLE_SECONDS (30) after settling;
//           the three supervisors hold their 50 services at the same time, so one window serves all three
//   status  one status command with those 50 services, CLI included (corral status, pm2 jlist,
//           supervisorctl status), 10 per run
//   crash   a service that exits with code 1: its "exit" record -> the next incarnation's first line of
//           JavaScript, no backoff; bare: bare_launcher relaunching the same program. Node's start-up
//           varies by 30-40 ms on a small VM, so this figure takes 30 x RUNS restarts of bare and corral,
//           in 6 x RUNS short rounds that take turns in a rotating order (the peers: every fifth round); it also measures bare_launcher giving each start a Node IPC channel (as corral
//           does by default) and corral with ipc = "off", to tell corral's part from Node's own start-up
//           with a channel
//   oom     the kernel's OOM kill (its "Killed process" record in /dev/kmsg, on CLOCK_MONOTONIC) -> the next
//           first line, backoff 0, 256 MiB on the service's cgroup; pm2 and supervisord run in a cgroup of
//           256 MiB + 64 MiB for the daemon (the worker, the largest process, is the one killed)
//   start   cold start of 10 services: the command (corral up, pm2 start, supervisord) -> every first line;
//           bare: bare_launcher starting the 10; also with a Node IPC channel each, and corral with
//           ipc = "off", as for crash
// Every first line is the service's own record of CLOCK_MONOTONIC (process.hrtime.bigint()) in a file, on
// the same clock as the benchmark's. Every figure has RUNS (5) runs or samples; each cell is the median
// with the spread (min-max); peers are also given as a ratio to corral; one verdict line per figure
// compares corral with the best peer. Prints a markdown table.
// Usage (root, inside a memory limit: scripts/run-limited.sh 12G -- node bench/compare.js):
//   node bench/compare.js [--runs N] [--no-pm2] [--no-supervisord] [--only idle,status,crash,oom,start]
//                         [--idle-seconds S]
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const lib = require('./lib');
const supervisors = require('./supervisors');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const runs = Number(option('--runs', 5));
const idleSeconds = Number(option('--idle-seconds', 30));
const figures = ['idle', 'status', 'crash', 'oom', 'start'];
const only = option('--only', null);
const wanted = only ? only.split(',') : figures;
for (const name of wanted) if (!figures.includes(name)) throw new Error(`--only: unknown figure "${name}" (${figures.join(', ')})`);
const idleServices = 50;
const coldServices = 10;
const oomLimit = 256 * 1024 * 1024;
const daemonRoom = 64 * 1024 * 1024;

const node = process.execPath;
const firstLine = path.join(__dirname, 'fixtures', 'first-line.js');
const oomWorker = path.join(__dirname, 'fixtures', 'oom-worker.js');

const startsIn = (file) => lib.lineRecords(file).filter((r) => r.what === 'start');

// Runs `command` to its end (bare_launcher); fails on a non-zero exit.
function runToEnd(argv, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: 'ignore' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} exited with ${code}`))));
  });
}

// Stops every handle, even when one of them fails to stop; then throws the first failure.
async function stopAll(handles) {
  const failures = [];
  for (const handle of handles) {
    try {
      await handle.stop();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length) throw failures[0];
}

// --- idle and status: 50 idle services under each supervisor at once ------------------------------------

async function idleRun(peers, measureIdle, measureStatus) {
  return lib.inTempDir('compare-idle', async (root) => {
    const running = [];
    const result = {};
    try {
      for (const sup of peers) {
        const dir = path.join(root, sup.name);
        fs.mkdirSync(dir);
        const record = path.join(dir, 'record');
        const services = [];
        for (let i = 0; i < idleServices; i++) {
          services.push({ name: `idle${i}`, script: firstLine, env: { RECORD_FILE: record, BENCH_MODE: 'idle' } });
        }
        const handle = await sup.start(dir, services);
        running.push(handle);
        await lib.waitFor(() => startsIn(record).length >= idleServices, 180_000, `${idleServices} services under ${sup.name}`);
        result[sup.name] = { handle };
      }
      if (measureIdle) {
        await lib.sleep(5000);  // settling: the last start-up's work done, the first samples taken
        const before = new Map(peers.map((sup) => [sup.name, lib.cpuNs(result[sup.name].handle.daemonPid)]));
        const t0 = process.hrtime.bigint();
        await lib.sleep(idleSeconds * 1000);
        const elapsed = process.hrtime.bigint() - t0;
        for (const sup of peers) {
          const pid = result[sup.name].handle.daemonPid;
          result[sup.name].cpuPercent = (Number(lib.cpuNs(pid) - before.get(sup.name)) / Number(elapsed)) * 100;
          result[sup.name].rssMiB = lib.statusKiB(pid, 'VmRSS') / 1024;
        }
      }
      if (measureStatus) {
        for (const sup of peers) {
          result[sup.name].status = [];
          for (let i = 0; i < 10; i++) result[sup.name].status.push(result[sup.name].handle.status());
        }
      }
    } finally {
      await stopAll(running);
    }
    return result;
  });
}

// --- crash: exit code 1 -> next first line ----------------------------------------------------------------

const crashGaps = lib.exitToStartGaps;
const crashEnv = (record) => ({ RECORD_FILE: record, BENCH_MODE: 'fail', CRASH_AFTER_MS: '30' });

// Node's own start-up varies by 30-40 ms here, and the host's drifts over seconds: the 5 ms verdicts need
// many short rounds that take turns (in a rotating order), not a few long ones. The peers, whose figures
// judge nothing that close, take part in every fifth round.
const crashRounds = 6 * runs;
const crashSamples = 5;  // per round
const peerRoundEvery = 5;

// `toml`: more settings of the service (corral only).
function supervisedCrash(sup, toml = '') {
  return lib.inTempDir(`compare-${sup.name}-crash`, async (dir) => {
    const record = path.join(dir, 'record');
    const handle = await sup.start(dir, [{ name: 'crash', script: firstLine, env: crashEnv(record), toml }]);
    try {
      await lib.waitFor(() => crashGaps(record).length >= crashSamples, 180_000,
                        `${crashSamples + 1} restarts under ${sup.name}`);
    } finally {
      await handle.stop();
    }
    return crashGaps(record).slice(0, crashSamples);
  });
}

// --- oom: the kernel's kill -> next first line ------------------------------------------------------------

function supervisedOom(sup, kmsg) {
  return lib.inTempDir(`compare-${sup.name}-oom`, async (dir) => {
    const record = path.join(dir, 'record');
    const service = { name: 'worker', script: oomWorker, env: { RECORD_FILE: record }, memoryMax: oomLimit };
    const handle = sup.name === 'corral' ? await sup.start(dir, [service])
                                         : await sup.start(dir, [service], oomLimit + daemonRoom);
    const killedAt = new Map();
    const gaps = () => {
      const starts = startsIn(record);
      const out = [];
      for (let i = 0; i + 1 < starts.length; i++) {
        const kill = killedAt.get(starts[i].pid);
        if (kill !== undefined) out.push(lib.ms(starts[i + 1].ns - kill));
      }
      return out.slice(1);
    };
    try {
      await lib.waitFor(() => gaps(kmsg.kills(killedAt)).length >= runs, 180_000, `${runs + 1} OOM kills under ${sup.name}`);
    } finally {
      await handle.stop();
    }
    return gaps().slice(0, runs);
  });
}

// --- start: command -> every first line of 10 services ----------------------------------------------------

// `ipc`: each launch gets a Node IPC channel, as corral gives one by default.
async function bareStart({ ipc = false } = {}) {
  return lib.inTempDir('compare-bare-start', async (dir) => {
    const record = path.join(dir, 'record');
    const t0 = process.hrtime.bigint();
    await runToEnd([lib.bareLauncher, ...(ipc ? ['--ipc'] : []), '0', String(coldServices), node, firstLine],
                   { RECORD_FILE: record, BENCH_MODE: 'once' });
    const starts = startsIn(record);
    if (starts.length !== coldServices) throw new Error(`bare_launcher: ${starts.length} first lines of ${coldServices}`);
    return lib.ms(starts.reduce((max, r) => (r.ns > max ? r.ns : max), 0n) - t0);
  });
}

// `toml`: more settings of every service (corral only).
function supervisedStart(sup, toml = '') {
  return lib.inTempDir(`compare-${sup.name}-start`, async (dir) => {
    const record = path.join(dir, 'record');
    const services = [];
    for (let i = 0; i < coldServices; i++) {
      services.push({ name: `s${i}`, script: firstLine, env: { RECORD_FILE: record, BENCH_MODE: 'idle' }, toml });
    }
    const t0 = process.hrtime.bigint();
    const handle = await sup.start(dir, services);
    try {
      await lib.waitFor(() => startsIn(record).length >= coldServices, 60_000, `${coldServices} services under ${sup.name}`);
    } finally {
      await handle.stop();
    }
    return lib.ms(startsIn(record).reduce((max, r) => (r.ns > max ? r.ns : max), 0n) - t0);
  });
}

// --- the table --------------------------------------------------------------------------------------------

function cell(values, digits, unit, corralValues) {
  if (!values || values.length === 0) return '–';
  const s = lib.summary(values);
  const f = (x) => x.toFixed(digits);
  let text = `${f(s.median)}${unit} (${f(s.min)}-${f(s.max)})`;
  if (corralValues && corralValues !== values && corralValues.length) {
    text += `, ${(s.median / lib.median(corralValues)).toFixed(2)}× corral`;
  }
  return text;
}

const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;

function verdict(label, corralValues, peerValues, unit, digits) {
  const peers = Object.entries(peerValues).filter(([, v]) => v && v.length);
  if (!corralValues || corralValues.length === 0) return null;
  if (peers.length === 0) return `${label}: no peer measured`;
  const [bestName, best] = peers.reduce((a, b) => (lib.median(b[1]) < lib.median(a[1]) ? b : a));
  const c = lib.median(corralValues);
  const b = lib.median(best);
  const ahead = c <= b;
  return `${label}: corral ${c.toFixed(digits)}${unit} vs best peer ${bestName} ${b.toFixed(digits)}${unit} ` +
         `(${(c / b).toFixed(2)}×): ${ahead ? 'at or ahead of the best peer' : 'BEHIND the best peer'}`;
}

async function main() {
  for (const binary of [lib.corralBinary, lib.bareLauncher]) {
    if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run scripts/build.sh first`);
  }
  const started = Date.now();
  const peers = [];
  if (!args.includes('--no-pm2')) {
    const cli = lib.installPm2();
    if (cli) peers.push(supervisors.pm2(cli));
  }
  if (!args.includes('--no-supervisord')) {
    if (supervisors.supervisord.available()) peers.push(supervisors.supervisord);
    else console.error('supervisord is not installed (Debian: apt-get install supervisor); skipping it');
  }
  const all = [supervisors.corral, ...peers];
  const names = all.map((s) => `${s.name} ${s.version()}`);
  console.log(`# corral beside its peers: ${names.join(', ')}, node ${process.version}`);
  console.log(`${runs} runs per figure; ${new Date().toISOString()}; ${require('os').cpus().length} CPUs, load average ` +
              `${require('os').loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);

  const data = {};  // data[figure][name] = samples
  const put = (figure, name, values) => ((data[figure] ||= {})[name] = values);
  const want = (figure) => wanted.includes(figure);

  if (want('idle') || want('status')) {
    for (let run = 0; run < runs; run++) {
      const result = await idleRun(all, want('idle'), want('status'));
      for (const sup of all) {
        const r = result[sup.name];
        if (want('idle')) {
          put('rss', sup.name, [...(data.rss?.[sup.name] || []), r.rssMiB]);
          put('cpu', sup.name, [...(data.cpu?.[sup.name] || []), r.cpuPercent]);
        }
        if (want('status')) put('status', sup.name, [...(data.status?.[sup.name] || []), ...r.status]);
      }
      console.error(`idle/status run ${run + 1} of ${runs} done (${Math.round((Date.now() - started) / 1000)} s)`);
    }
  }
  if (want('crash')) {
    const add = (key, name, samples) => put(key, name, [...(data[key]?.[name] || []), ...samples]);
    const turns = [
      async () => add('crash', 'bare', await lib.bareRelaunches(crashSamples)),
      async () => add('crashChannel', 'bare', await lib.bareRelaunches(crashSamples, { ipc: true })),
      async () => add('crash', 'corral', await supervisedCrash(supervisors.corral)),
      async () => add('crashChannel', 'corral', await supervisedCrash(supervisors.corral, 'ipc = "off"')),
    ];
    for (let round = 0; round < crashRounds; round++) {
      for (let i = 0; i < turns.length; i++) await turns[(round + i) % turns.length]();
      if (round % peerRoundEvery === 0) for (const sup of peers) add('crash', sup.name, await supervisedCrash(sup));
    }
    console.error(`crash done (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  if (want('oom')) {
    const kmsg = new lib.KernelLog();
    try {
      for (const sup of all) put('oom', sup.name, await supervisedOom(sup, kmsg));
    } finally {
      kmsg.close();
    }
    console.error(`oom done (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  if (want('start')) {
    for (let run = 0; run < runs; run++) {
      const add = (key, name, sample) => put(key, name, [...(data[key]?.[name] || []), sample]);
      add('start', 'bare', await bareStart());
      add('startChannel', 'bare', await bareStart({ ipc: true }));
      for (const sup of all) add('start', sup.name, await supervisedStart(sup));
      add('startChannel', 'corral', await supervisedStart(supervisors.corral, 'ipc = "off"'));
    }
    console.error(`start done (${Math.round((Date.now() - started) / 1000)} s)`);
  }

  const rows = [
    ['rss', `daemon RSS, ${idleServices} idle services`, 1, ' MiB'],
    ['cpu', `daemon CPU, ${idleServices} idle services (% of a core over ${idleSeconds} s)`, 3, ' %'],
    ['crash', 'crash (exit code 1) -> next first JS line, no backoff', 1, ' ms'],
    ['oom', 'kernel OOM kill -> next first JS line, backoff 0, 256 MiB', 1, ' ms'],
    ['start', `start ${coldServices} services: command -> every first line`, 1, ' ms'],
    ['status', `status with ${idleServices} services, CLI included`, 1, ' ms'],
  ].filter(([key]) => data[key]);
  const bareLabel = { crash: 'bare_launcher relaunch', start: `${coldServices} launches by bare_launcher` };
  console.log(`| figure | bare node | ${all.map((s) => `${s.name} ${s.version()}`).join(' | ')} |`);
  console.log(`|---|---|${all.map(() => '---').join('|')}|`);
  for (const [key, label, digits, unit] of rows) {
    const d = data[key];
    const bare = d.bare ? `${cell(d.bare, digits, unit)}, ${bareLabel[key]}` : '–';
    console.log(`| ${label} | ${bare} | ${all.map((s) => cell(d[s.name], digits, unit, d.corral)).join(' | ')} |`);
  }
  console.log('\nmedian (min-max) of the runs; peers also as a ratio of their median to corral\'s\n');
  for (const [key, label, digits, unit] of rows) {
    const d = data[key];
    const line = verdict(label, d.corral, Object.fromEntries(peers.map((p) => [p.name, d[p.name]])), unit, digits);
    if (line) console.log(`- ${line}`);
  }
  if (data.crash?.bare && data.crash.corral) {
    // crashChannel: bare with a channel (as corral gives one by default), corral with ipc = "off".
    const m = (samples) => lib.median(samples);
    const bare = m(data.crash.bare);
    const bareChannel = m(data.crashChannel.bare);
    const corral = m(data.crash.corral);
    const corralOff = m(data.crashChannel.corral);
    const over = (a, b) => `${a - b <= 5 ? 'met' : 'MISSED'} (${signed(a - b)} ms: ${a.toFixed(1)} vs ${b.toFixed(1)})`;
    console.log(`- crash: corral within 5 ms of a bare relaunch that gives the same IPC channel: ${over(corral, bareChannel)}`);
    console.log(`- crash: corral with ipc = "off" within 5 ms of a bare relaunch: ${over(corralOff, bare)}`);
    console.log(`- crash: corral (its IPC channel on, the default) against a bare relaunch without one: ${signed(corral - bare)} ms; ` +
                `Node's start-up with a channel costs ${signed(bareChannel - bare)} ms under bare_launcher`);
  }
  if (data.start?.bare && data.start.corral) {
    // startChannel: bare launches with a channel each, corral with ipc = "off".
    const m = (samples) => lib.median(samples);
    const over = (a, b) => `${a - b <= 50 ? 'met' : 'MISSED'} (${signed(a - b)} ms: ${a.toFixed(1)} vs ${b.toFixed(1)})`;
    const [bare, corral] = [m(data.start.bare), m(data.start.corral)];
    const [bareChannel, corralOff] = [m(data.startChannel.bare), m(data.startChannel.corral)];
    console.log(`- start: corral within 50 ms of ${coldServices} bare launches: ${over(corral, bare)}`);
    console.log(`- start: corral within 50 ms of ${coldServices} bare launches that give the same IPC channels: ${over(corral, bareChannel)}`);
    console.log(`- start: corral with ipc = "off" within 50 ms of ${coldServices} bare launches: ${over(corralOff, bare)}`);
  }
  console.log(`\n(the whole run took ${Math.round((Date.now() - started) / 1000)} s)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
