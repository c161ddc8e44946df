#!/usr/bin/env node
// The IPC broker against direct fork() IPC between two Node processes, in one run:
//  1. throughput: COUNT (2M) small messages, the sender respecting send()'s backpressure; direct vs
//     through corral vs through a bare relay (RUNS (5) runs each, taking turns; median and spread). Target:
//     corral's median at least 90% of direct's. Also the daemon's and the bare relay's CPU per message.
//     2M messages take about 4 s a run: with 500k (about 1 s) direct's own rate spread from 345k to 477k
//     msg/s over 5 runs on this VM, with 2M from 483k to 498k.
//  2. ping-pong: ROUNDS (10k) round trips one at a time, PING_RUNS (10) runs each of direct, corral and a
//     bare relay, taking turns; each run's median and p99. A run's median moves with the machine's state
//     from one run to the next (corral's minus the relay's from -29 to +41 us in one series of 5 runs of
//     20k): more and shorter runs say more about the difference. Target: corral's median within 5 us of
//     the bare relay's in the same run (judged on the median of the runs' differences): a relay hop is the
//     floor here. Two more rows in the same runs: the bare relay with its peers in cgroups as corral places
//     them, and corral with cgroups = "off".
//     The bare relay (build/bare_relay, bench/bare_relay.cpp) is the floor of any relay here: a third
//     process that only copies bytes between the two channels with epoll + read + write. Set against it,
//     corral's figures say what the broker itself costs beyond having a process in the path.
//  3. the article: a parent sends ~1 KiB messages as fast as it can (or at --rate R per second) for
//     SECONDS (30), never looking at send()'s return value, to a child that appends each to one of 200
//     files with fire-and-forget fs.appendFile.
//     Parent RSS over time, direct (killed by a watchdog past 1 GiB) vs through corral; messages sent,
//     delivered and lost (through corral, after the backlog the broker held has drained).
// Usage: node bench/ipc.js [--count N] [--rounds N] [--runs N] [--ping-runs N] [--rate R] [--seconds S]
//                          [--only throughput|ping-pong|article]
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const lib = require('./lib');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const count = option('--count', 2_000_000);
const rounds = option('--rounds', 10_000);
const runs = option('--runs', 5);
const pingRuns = option('--ping-runs', 10);
const rate = option('--rate', 0);
const seconds = option('--seconds', 30);
const watchdogKiB = 1024 * 1024;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : null;
const part = (name) => only === null || only === name;

const peer = path.join(__dirname, 'fixtures', 'ipc-peer.js');
const articleParent = path.join(__dirname, 'fixtures', 'article-parent.js');
const articleChild = path.join(__dirname, 'fixtures', 'article-child.js');
const node = process.execPath;
const bareRelay = path.join(path.dirname(lib.corralBinary), 'bare_relay');

function lastValue(file, what) {
  const values = lib.valuesOf(lib.readRecords(file), what);
  return values.length ? values[values.length - 1] : undefined;
}

// utime + stime of a process, in seconds.
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // USER_HZ is 100 on Linux
}

// Runs a Node program directly (it forks its peer itself with Node's fork(), the thing compared), started
// by build/bare_launcher like any baseline, in its own process group; `done` says when it has finished;
// the whole group is killed afterwards.
async function direct(script, env, done, timeoutMs) {
  const child = spawn(lib.bareLauncher, ['0', '1', node, script], { env: { ...process.env, ...env }, stdio: 'ignore',
                                                                     detached: true });
  try {
    await lib.waitFor(done, timeoutMs, `${path.basename(script)} ${env.ROLE || ''}`);
  } finally {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }
}

// Runs ipc-peer.js as FIRST_ROLE and SECOND_ROLE under the bare relay, in its own process group like
// direct(); `work` gets the relay's pid and a wait(condition, timeoutMs, what) that fails early if the relay
// exits. The whole group is killed afterwards.
async function relayed(env, work) {
  const child = spawn(bareRelay, [node, peer], { env: { ...process.env, FORK_ROLE: '', ...env }, stdio: 'ignore',
                                                 detached: true });
  let exited = null;
  child.on('exit', (code, signal) => (exited = signal || code));
  const wait = (condition, timeoutMs, what) => lib.waitFor(() => {
    if (exited !== null) throw new Error(`bare_relay exited (${exited}) while waiting for ${what}`);
    return condition();
  }, timeoutMs, what);
  try {
    return await work(child.pid, wait);
  } finally {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
  }
}

// Runs `work(dir)` with a fresh temporary directory, removed afterwards.
function underCorral(name, toml, work) {
  return lib.inTempDir(name, async (dir) => {
    const corral = lib.startCorral(dir, toml(dir));
    try {
      await lib.waitFor(() => fs.existsSync(path.join(dir, '.corral', 'corral.sock')), 30_000, 'the control socket');
      return await work(dir, corral);
    } finally {
      await lib.stopCorral(corral);
    }
  });
}

const peerServices = (dir, first, second, extra = '') => `
[services.${first.role}]
command = ["${node}", "${peer}"]
env = { ROLE = "${first.role}", RECORD_FILE = "${dir}/record", COUNT = "${count}", ROUNDS = "${rounds}", DELAY_MS = "1000" }

[services.${second.role}]
command = ["${node}", "${peer}"]
parent = "${first.role}"
env = { ROLE = "${second.role}", RECORD_FILE = "${dir}/record", COUNT = "${count}" }
${extra}`;

const rateOf = (record) => count / (Number(lastValue(record, 'last') - lastValue(record, 'start')) / 1e9);

function throughputDirect() {
  return lib.inTempDir('ipc-direct', async (dir) => {
    const record = path.join(dir, 'record');
    await direct(peer, { ROLE: 'source', FORK_ROLE: 'sink', RECORD_FILE: record, COUNT: String(count), DELAY_MS: '300' },
                 () => lastValue(record, 'last') !== undefined, 120_000);
    return rateOf(record);
  });
}

function throughputCorral() {
  return underCorral('ipc-corral', (dir) => peerServices(dir, { role: 'source' }, { role: 'sink' }), async (dir, corral) => {
    const record = path.join(dir, 'record');
    await lib.waitFor(() => lastValue(record, 'start') !== undefined, 30_000, 'the source to start');
    const cpuBefore = cpuSeconds(corral.pid);
    await lib.waitFor(() => lastValue(record, 'last') !== undefined, 120_000, 'the sink to get every message');
    return { rate: rateOf(record), cpuPerMessageUs: ((cpuSeconds(corral.pid) - cpuBefore) / count) * 1e6 };
  });
}

function throughputRelay() {
  return lib.inTempDir('ipc-relay', (dir) => {
    const record = path.join(dir, 'record');
    const env = { FIRST_ROLE: 'source', SECOND_ROLE: 'sink', RECORD_FILE: record, COUNT: String(count), DELAY_MS: '1000' };
    return relayed(env, async (pid, wait) => {
      await wait(() => lastValue(record, 'start') !== undefined, 30_000, 'the source to start');
      const cpuBefore = cpuSeconds(pid);
      await wait(() => lastValue(record, 'last') !== undefined, 120_000, 'the sink to get every message');
      return { rate: rateOf(record), cpuPerMessageUs: ((cpuSeconds(pid) - cpuBefore) / count) * 1e6 };
    });
  });
}

const roundTrips = (record) => lib.valuesOf(lib.readRecords(record), 'rtt').map((ns) => Number(ns) / 1000);
// The ping end appends every round trip in one write once it is done, and a reader can see that write half
// done: the round trips are there once the file holds ROUNDS whole lines.
function roundTripsWritten(record) {
  const text = fs.existsSync(record) ? fs.readFileSync(record, 'utf8') : '';
  return text.endsWith('\n') && text.split('\n').length - 1 >= rounds;
}

function pingPongDirect() {
  return lib.inTempDir('ipc-ping', async (dir) => {
    const record = path.join(dir, 'record');
    await direct(peer, { ROLE: 'ping', FORK_ROLE: 'pong', RECORD_FILE: record, ROUNDS: String(rounds) },
                 () => roundTripsWritten(record), 120_000);
    return roundTrips(record);
  });
}

function pingPongCorral(extra = '') {
  return underCorral('ipc-ping', (dir) => peerServices(dir, { role: 'ping' }, { role: 'pong' }, extra), async (dir) => {
    const record = path.join(dir, 'record');
    await lib.waitFor(() => roundTripsWritten(record), 120_000, 'the round trips');
    return roundTrips(record);
  });
}

function pingPongRelay(cgroups = null) {
  return lib.inTempDir('ipc-ping-relay', async (dir) => {
    const record = path.join(dir, 'record');
    const env = { FIRST_ROLE: 'ping', SECOND_ROLE: 'pong', RECORD_FILE: record, ROUNDS: String(rounds), DELAY_MS: '1000',
                  ...(cgroups ? cgroups.env : {}) };
    try {
      return await relayed(env, async (pid, wait) => {
        await wait(() => roundTripsWritten(record), 120_000, 'the round trips');
        return roundTrips(record);
      });
    } finally {
      if (cgroups) await cgroups.empty();
    }
  });
}

// The two peers of the bare relay in cgroups as corral places its instances: each in a memory group of its
// own (v1, under this process's own, 1 GiB limit set before anyone joins), both in one cpu group, corral's
// top group (an instance without a CPU limit has no cpu group of its own): { env, empty(), remove() }, or
// null on a host without the v1 memory and cpu hierarchies.
function relayCgroups() {
  const own = {};
  for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [, controllers = '', where] = line.split(':');
    for (const controller of controllers.split(',')) own[controller] = where;
  }
  const base = { memory: `/sys/fs/cgroup/memory${own.memory}`, cpu: `/sys/fs/cgroup/cpu${own.cpu}` };
  if (own.memory === undefined || own.cpu === undefined || !fs.existsSync(`${base.memory}/memory.limit_in_bytes`) ||
      !fs.existsSync(`${base.cpu}/cpu.shares`)) {
    return null;
  }
  const top = `bare-relay-${process.pid}`;
  const cpu = path.join(base.cpu, top);
  fs.mkdirSync(cpu, { recursive: true });
  const memory = ['ping', 'pong'].map((role) => {
    const dir = path.join(base.memory, top, role, '0');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(1 << 30));
    return dir;
  });
  const dirs = [...memory, cpu];
  const tasks = (dir) => fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').trim();
  return {
    env: { FIRST_CGROUPS: `${memory[0]}:${cpu}`, SECOND_CGROUPS: `${memory[1]}:${cpu}` },
    // Until the killed peers have left their groups.
    empty: () => lib.waitFor(() => dirs.every((dir) => tasks(dir) === ''), 10_000, 'the relay peers to exit'),
    remove() {  // each memory leaf, its role's group, then the top group of each hierarchy
      const made = [...memory, ...memory.map((dir) => path.dirname(dir)), path.join(base.memory, top), cpu];
      for (const dir of made) {
        try { fs.rmdirSync(dir); } catch {}
      }
    },
  };
}

// "rss <kib> <ms>" records, as [seconds since the first, MiB].
function rssTimeline(file) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const points = [];
  for (const line of text.split('\n')) {
    const [what, kib, at] = line.split(' ');
    if (what === 'rss') points.push([Number(at), Number(kib) / 1024]);
  }
  const start = points.length ? points[0][0] : 0;
  return points.map(([at, mib]) => [(at - start) / 1000, mib]);
}

const lastNumber = (file, what) => {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  let value = 0;
  for (const line of text.split('\n')) {
    const [word, number] = line.split(' ');
    if (word === what) value = Number(number);
  }
  return value;
};

function articleEnv(dir) {
  return {
    RECORD_FILE: path.join(dir, 'parent'),
    CHILD_RECORD: path.join(dir, 'child'),
    OUT_DIR: path.join(dir, 'out'),
    ...(rate > 0 ? { RATE: String(rate) } : {}),
    DURATION_MS: String(seconds * 1000),
  };
}

// Waits until the child's count stops moving for `quietMs` (or reaches `target`).
async function settled(childRecord, target, quietMs, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const now = lastNumber(childRecord, 'received');
    if (now >= target) return;
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since > quietMs) {
      return;
    }
    await lib.sleep(250);
  }
}

async function articleDirect() {
  const dir = lib.tempDir('article-direct');
  const env = articleEnv(dir);
  fs.mkdirSync(env.OUT_DIR);
  const child = spawn(node, [articleParent], { env: { ...process.env, ...env, DIRECT: '1', CHILD_SCRIPT: articleChild },
                                                stdio: 'ignore', detached: true });
  let killedAt = null;
  const started = Date.now();
  try {
    while (Date.now() - started < (seconds + 2) * 1000 && lastNumber(env.RECORD_FILE, 'done') === 0) {
      if (lib.statusKiB(child.pid, 'VmRSS') > watchdogKiB) {
        process.kill(child.pid, 'SIGKILL');  // the parent only: its child keeps what it was sent
        killedAt = (Date.now() - started) / 1000;
        break;
      }
      await lib.sleep(50);
    }
    const sent = lastNumber(env.RECORD_FILE, 'sent');
    await settled(env.CHILD_RECORD, sent, 3000, 120_000);
    return { timeline: rssTimeline(env.RECORD_FILE), killedAt, sent, delivered: lastNumber(env.CHILD_RECORD, 'received') };
  } finally {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function articleCorral() {
  const toml = (dir) => {
    const env = articleEnv(dir);
    fs.mkdirSync(env.OUT_DIR);
    const inline = (entries) => Object.entries(entries).map(([k, v]) => `${k} = "${v}"`).join(', ');
    return `
[services.parent]
command = ["${node}", "${articleParent}"]
env = { ${inline({ RECORD_FILE: env.RECORD_FILE, DURATION_MS: env.DURATION_MS, ...(env.RATE ? { RATE: env.RATE } : {}) })} }

[services.child]
command = ["${node}", "${articleChild}"]
env = { ${inline({ CHILD_RECORD: env.CHILD_RECORD, OUT_DIR: env.OUT_DIR })} }

# parent = "parent" on the child, with room on disk for the whole backlog
[[routes]]
from = "parent"
to = "child"
queue = { spill_max = "8GiB" }

[[routes]]
from = "child"
to = "parent"
`;
  };
  return underCorral('article', toml, async (dir, corral) => {
    const env = articleEnv(dir);
    const socket = path.join(dir, '.corral', 'corral.sock');
    let spillPeak = 0;
    const spilled = () => {
      try {
        const status = JSON.parse(execFileSync(lib.corralBinary, ['status', '--json', '--socket', socket]));
        const route = status.routes.find((r) => r.from === 'parent' && r.to === 'child');
        spillPeak = Math.max(spillPeak, route.destinations[0].spilled_bytes);
        return route.destinations[0];
      } catch {
        return null;
      }
    };
    const started = Date.now();
    while (lastNumber(env.RECORD_FILE, 'done') === 0 && Date.now() - started < (seconds + 30) * 1000) {
      spilled();
      await lib.sleep(500);
    }
    const sent = lastNumber(env.RECORD_FILE, 'done');
    const drainStart = Date.now();
    await settled(env.CHILD_RECORD, sent, 10_000, 600_000);
    const drainSeconds = (Date.now() - drainStart) / 1000;
    const queue = spilled();
    return {
      timeline: rssTimeline(env.RECORD_FILE),
      sent,
      delivered: lastNumber(env.CHILD_RECORD, 'received'),
      dropped: queue ? queue.dropped : NaN,
      spillPeak,
      drainSeconds,
      daemonPeakKiB: lib.statusKiB(corral.pid, 'VmHWM'),
    };
  });
}

const f0 = (x) => Math.round(x).toLocaleString('en-US');
const f1 = (x) => x.toFixed(1);
const pad = (text, width) => String(text).padStart(width);

function rssAt(timeline, second) {
  let value = null;
  for (const [at, mib] of timeline) if (at <= second) value = mib;
  return value;
}

async function main() {
  for (const binary of [lib.corralBinary, bareRelay]) {
    if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run scripts/build.sh first`);
  }
  const parts = [];
  if (part('throughput')) parts.push(await throughputPart());
  if (part('ping-pong')) parts.push(await pingPongPart());
  if (part('article')) parts.push(await articlePart());
  console.log(`\ntargets: ${parts.map((p) => p.target).join('; ')}`);
  const overRelay = parts.filter((p) => p.overRelay).map((p) => p.overRelay);
  if (overRelay.length) console.log(`corral over a bare relay: ${overRelay.join('; ')}`);
}

const signed = (x) => `${x >= 0 ? '+' : ''}${f1(x)}`;

// "218,572 (175,004-223,118)": median with the spread (min-max).
const spreadOf = (values, format) => `${format(lib.median(values))} (${format(Math.min(...values))}-${format(Math.max(...values))})`;

// Run i of direct, corral and the relay, each started after the one before it has finished, the first of
// them taking turns from run to run: none of the three always follows the same one, so that what one leaves
// behind on the machine (page cache, a CPU's idle state, memory being freed) falls on all three alike.
async function inTurn(i, measures) {
  for (let k = 0; k < measures.length; k++) await measures[(i + k) % measures.length]();
}

async function throughputPart() {
  const directRates = [];
  const corralRuns = [];
  const relayRuns = [];
  for (let i = 0; i < runs; i++) {
    await inTurn(i, [async () => directRates.push(await throughputDirect()),
                     async () => corralRuns.push(await throughputCorral()),
                     async () => relayRuns.push(await throughputRelay())]);
  }
  const corralRates = corralRuns.map((r) => r.rate);
  const relayRates = relayRuns.map((r) => r.rate);
  const directRate = lib.median(directRates);
  const corralRate = lib.median(corralRates);
  const relayRate = lib.median(relayRates);
  // Each run's corral rate over the same run's direct rate, for the spread of the ratio.
  const percentOfDirect = corralRates.map((rate, i) => (rate / directRates[i]) * 100);
  const relayPercent = relayRates.map((rate, i) => (rate / directRates[i]) * 100);
  const us = (x) => x.toFixed(2);
  console.log(`throughput: ${f0(count)} small messages, sender respecting backpressure; median (min-max) of ${runs} runs`);
  console.log(`  direct fork()          ${spreadOf(directRates, f0)} msg/s`);
  console.log(`  through corral         ${spreadOf(corralRates, f0)} msg/s; ${spreadOf(percentOfDirect, f1)}% of the run's direct; ` +
              `daemon CPU ${spreadOf(corralRuns.map((r) => r.cpuPerMessageUs), us)} us per message`);
  console.log(`  through a bare relay   ${spreadOf(relayRates, f0)} msg/s; ${spreadOf(relayPercent, f1)}% of the run's direct; ` +
              `relay CPU ${spreadOf(relayRuns.map((r) => r.cpuPerMessageUs), us)} us per message`);
  const ratio = (corralRate / directRate) * 100;
  return {
    target: `throughput >= 90% of direct (medians): ${ratio >= 90 ? 'met' : 'MISSED'} (${f1(ratio)}%)`,
    overRelay: `throughput ${f1((corralRate / relayRate) * 100)}% of the relay's (medians)`,
  };
}

async function pingPongPart() {
  const directRuns = [];
  const corralRuns = [];
  const relayRuns = [];
  const groupedRelayRuns = [];
  const corralOffRuns = [];
  const cgroups = relayCgroups();
  // Each run's round trips summed up by their median and p99.
  const measured = (into, measure) => async () => {
    const rtt = await measure();
    into.push({ median: lib.median(rtt), p99: lib.percentile(rtt, 99) });
  };
  try {
    for (let i = 0; i < pingRuns; i++) {
      await inTurn(i, [measured(directRuns, pingPongDirect), measured(corralRuns, pingPongCorral),
                       measured(relayRuns, () => pingPongRelay()),
                       ...(cgroups ? [measured(groupedRelayRuns, () => pingPongRelay(cgroups))] : []),
                       measured(corralOffRuns, () => pingPongCorral('[supervisor]\ncgroups = "off"\n'))]);
    }
  } finally {
    if (cgroups) cgroups.remove();
  }
  const medians = (runsOf) => runsOf.map((r) => r.median);
  const over = (runsOf, base) => runsOf.map((r, i) => r.median - base[i].median);
  const overRelay = over(corralRuns, relayRuns);
  console.log(`\nping-pong: ${f0(rounds)} round trips per run, us; median (min-max) of ${pingRuns} runs' medians and p99s`);
  console.log(`                                median                p99                   over direct (same run)`);
  const row = (name, runsOf, extra) =>
    console.log(`  ${name.padEnd(28)}  ${spreadOf(medians(runsOf), f1).padEnd(20)}  ${spreadOf(runsOf.map((r) => r.p99), f1).padEnd(20)}  ` +
                (extra ? `${spreadOf(extra, signed)}` : ''));
  row('direct fork()', directRuns, null);
  row('through corral', corralRuns, over(corralRuns, directRuns));
  row('through a bare relay', relayRuns, over(relayRuns, directRuns));
  if (cgroups) row('bare relay, peers in cgroups', groupedRelayRuns, over(groupedRelayRuns, directRuns));
  row('corral, cgroups = "off"', corralOffRuns, over(corralOffRuns, directRuns));
  const gap = lib.median(overRelay);
  const spread = (values) => `${signed(lib.median(values))} us; runs ${signed(Math.min(...values))} to ${signed(Math.max(...values))}`;
  console.log('  (bare relay, peers in cgroups: each peer in a memory cgroup of its own and both in one cpu group, as corral places them)');
  console.log(`  corral over the bare relay whose peers are in cgroups: ${cgroups ? spread(over(corralRuns, groupedRelayRuns)) : 'not measured (no v1 memory and cpu hierarchies)'}`);
  console.log(`  corral with cgroups = "off" over the bare relay: ${spread(over(corralOffRuns, relayRuns))}`);
  return {
    target: `round trip within 5 us of the bare relay (median of the runs' differences): ${gap <= 5 ? 'met' : 'MISSED'} ` +
            `(${spread(overRelay)})`,
    overRelay: `round trip ${signed(gap)} us median`,
  };
}

async function articlePart() {
  const articleD = await articleDirect();
  const articleC = await articleCorral();
  console.log(`\nthe article: parent sends 1 KiB messages ${rate > 0 ? `at ${f0(rate)}/s` : 'flat out'} for ${seconds} s, never waiting; ` +
              `the child appends each to one of 200 files`);
  const marks = [1, 5, 10, 20, seconds].filter((s, i, all) => s <= seconds && all.indexOf(s) === i);
  console.log(`  parent RSS, MiB at   ${marks.map((s) => pad(`${s} s`, 7)).join('')}`);
  const row = (timeline, killedAt) => marks.map((s) => {
    if (killedAt !== null && s > killedAt) return pad('killed', 7);
    const value = rssAt(timeline, s);
    return pad(value === null ? '-' : f0(value), 7);
  }).join('');
  console.log(`  direct fork()        ${row(articleD.timeline, articleD.killedAt)}` +
              (articleD.killedAt !== null ? `   (watchdog: past 1 GiB at ${f1(articleD.killedAt)} s)` : ''));
  console.log(`  through corral       ${row(articleC.timeline, null)}`);
  console.log(`  messages             sent ${pad(f0(articleD.sent), 10)}  delivered ${pad(f0(articleD.delivered), 10)}  ` +
              `lost ${pad(f0(articleD.sent - articleD.delivered), 9)}   (direct)`);
  console.log(`                       sent ${pad(f0(articleC.sent), 10)}  delivered ${pad(f0(articleC.delivered), 10)}  ` +
              `lost ${pad(f0(articleC.sent - articleC.delivered), 9)}   (corral; dropped ${articleC.dropped})`);
  console.log(`  corral held the backlog: spill journal peak ${f0(articleC.spillPeak / 1048576)} MiB, drained ` +
              `${f1(articleC.drainSeconds)} s after the parent stopped; daemon peak RSS ${f1(articleC.daemonPeakKiB / 1024)} MiB`);

  const corralMax = Math.max(...articleC.timeline.map(([, mib]) => mib));
  return {
    target: `article through corral: parent peak ${f0(corralMax)} MiB, ` +
            `${articleC.sent === articleC.delivered ? 'nothing lost' : 'MESSAGES LOST'}`,
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
