#!/usr/bin/env node
// Zero-downtime deploys, in one run: an HTTP app (bench/fixtures/web.js, one file for both) with 4 instances
// under steady load from real HTTP clients for SECONDS (60) while a rolling reload starts every EVERY (5) s
// (or as soon as the one before ends, when it took longer), so 12 rollouts in a run:
//   corral  `listen` (the daemon holds the socket, every instance inherits it), `ready = "listening"`,
//           `rollout = { surge = 1, max_unavailable = 0 }`, stop signal SIGINT; `corral reload web`, which
//           waits until the rollout is done (exit code 1 when it failed)
//   pm2 7   cluster mode as pm2's docs recommend for graceful reloads (wait_ready, listen_timeout,
//           kill_timeout); `pm2 reload web`
// The load (bench/fixtures/web-load.js) runs in a process of its own, so that the orchestration (spawning
// the reload and status commands, parsing their JSON) never delays a client on these 2 cores: autocannon
// (npm, installed into bench/.cache) with CONNECTIONS (20) keep-alive connections, pipelining 1, back to
// back, connecting again after a response that says "Connection: close" as HTTP/1.1 asks of clients (and
// http.Agent, undici and browsers do; autocannon 9 itself sends its next request into the closing
// connection); and NEW_RATE (100) requests a second, each on a new connection. Every request's outcome is
// recorded: 2xx, other statuses, and socket errors (connection refused, reset, closed by the server with
// the request unanswered, timed out after 10 s). A rollout's window runs from its command's start to its
// end (a failure counts in it by the time it was seen); the pids before and after (corral status --json,
// pm2 jlist) tell whether it replaced every instance. Both stop the app with SIGINT and SIGKILL what is
// left after 5 s: an app that closes its server on SIGINT still answers its busy keep-alive connections
// (Node's server.close() closes only idle ones), so it exits when its clients hang up or at the SIGKILL.
// Each cell is the median (min-max) over RUNS (5) runs; targets are judged on the median.
// Target: 0 failed requests through corral over at least 12 rollouts.
// Usage (root, inside a memory limit: scripts/run-limited.sh 12G -- node bench/deploy.js):
//   node bench/deploy.js [--runs N] [--seconds N] [--every S] [--connections N] [--new-rate N] [--no-pm2]
//                        [--no-corral] [--corral-plain]
// --corral-plain: corral without zero-downtime deploys (one instance binding PORT itself, `corral restart
// web` as the deploy), a check that the benchmark sees dropped requests.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { fork } = require('child_process');
const lib = require('./lib');
const sides = require('./deploy_sides');

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const runs = option('--runs', 5);
const seconds = option('--seconds', 60);
const every = option('--every', 5);
const connections = option('--connections', 20);
const newRate = option('--new-rate', 100);
const targetRollouts = 12;
const failureNames = { '-1': 'refused', '-2': 'reset', '-3': 'closed', '-4': 'timeout', '-5': 'other' };

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const loaders = new Set();
process.on('exit', () => {
  for (const loader of loaders) loader.kill('SIGKILL');
});

// Forks the clients; resolves once load flows, with stop(): the records and the counts.
async function startLoad(port, autocannon, recordFile) {
  const options = { port, connections, newRate, autocannon, recordFile, timeoutS: 10 };
  const child = fork(path.join(__dirname, 'fixtures', 'web-load.js'), [JSON.stringify(options)],
                     { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  loaders.add(child);
  child.on('exit', () => loaders.delete(child));
  const messages = [];
  let wake = () => {};
  child.on('message', (message) => {
    messages.push(message);
    wake();
  });
  const next = async (key) => {
    const deadline = Date.now() + 30_000;
    while (!messages.some((m) => m[key])) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the load generator: no "${key}"`);
      await new Promise((resolve) => { wake = resolve; setTimeout(resolve, 100); });
    }
    return messages.find((m) => m[key])[key];
  };
  await next('running');
  return {
    async stop() {
      child.send({ stop: true });
      const counts = await next('done');
      const bytes = fs.readFileSync(recordFile);
      const aligned = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
      return { counts, records: new Float64Array(aligned) };
    },
  };
}

// A rolling reload every `every` s for `seconds` s; each: its window, exit code, duration, and whether
// every instance was replaced (the running pids after share none with those before).
async function rollouts(handle, expected) {
  const done = [];
  const first = nowMs();
  for (let k = 0; k * every < seconds; k++) {
    const due = first + k * every * 1000 - nowMs();
    if (due > 0) await lib.sleep(due);
    const before = handle.pids();
    const startMs = nowMs();
    const result = await handle.reload();
    const endMs = nowMs();
    const after = handle.pids();
    const replaced = before.length === expected && after.length === expected && after.every((p) => !before.includes(p));
    done.push({ startMs, endMs, ...result, replaced });
  }
  return done;
}

// One run's figures from the records and the rollouts.
function analyse({ counts, records }, windows) {
  const failures = { refused: 0, reset: 0, closed: 0, timeout: 0, other: 0 };
  let ok = 0;
  let non2xx = 0;
  let failedInRollouts = 0;
  const latencies = [];
  const inRollouts = [];
  let w = 0;
  for (let i = 0; i < records.length; i += 4) {
    const [t, latency, code] = [records[i], records[i + 1], records[i + 2]];
    while (w < windows.length && windows[w].endMs < t) w++;
    const inRollout = w < windows.length && windows[w].startMs <= t;
    if (code >= 200 && code < 300) {
      ok++;
      latencies.push(latency);
      if (inRollout) inRollouts.push(latency);
      continue;
    }
    if (code < 0) failures[failureNames[code]]++;
    else non2xx++;
    if (inRollout) failedInRollouts++;
  }
  const sent = counts.keepAlive.sent + counts.fresh.sent;
  const socketErrors = Object.values(failures).reduce((a, b) => a + b, 0);
  const inFlightAtStop = counts.keepAlive.inFlightAtStop + counts.fresh.inFlightAtStop;
  const durations = windows.map((r) => r.ms);
  const span = (records[records.length - 4] - records[0]) / 1000;
  return {
    sent, ok, non2xx, socketErrors, failures, failed: non2xx + socketErrors, failedInRollouts,
    perSecond: (records.length / 4) / span,
    unaccounted: sent - ok - non2xx - socketErrors - inFlightAtStop,
    p50: lib.percentile(latencies, 50), p99: lib.percentile(latencies, 99),
    p99Rollouts: inRollouts.length ? lib.percentile(inRollouts, 99) : NaN,
    attempted: windows.length, completed: windows.filter((r) => r.code === 0).length,
    rolloutMs: lib.median(durations), replaced: windows.filter((r) => r.replaced).length,
    failedReloads: windows.filter((r) => r.code !== 0).map((r) => `exit ${r.code}: ${r.stderr.trim()}`),
  };
}

async function oneRun(side, autocannon) {
  return lib.inTempDir('deploy', async (dir) => {
    const port = await sides.freePort();
    const handle = await side.start(dir, port);
    try {
      const load = await startLoad(port, autocannon, path.join(dir, 'records'));
      await lib.sleep(1000);  // warm-up: every connection open, the JIT warm
      const windows = await rollouts(handle, side.expected);
      await lib.sleep(2000);  // what the last rollout might still break
      return analyse(await load.stop(), windows);
    } finally {
      for (const loader of loaders) loader.kill('SIGKILL');
      await handle.stop();
    }
  });
}

const cell = (values, digits = 0) => (values.some((v) => Number.isNaN(v)) ? '–' : lib.withSpread(values, digits));

function table(sideNames, headers, results) {
  const of = (name, key) => results[name].map((r) => r[key]);
  const sum = (name, key) => results[name].reduce((a, r) => a + r.failures[key], 0);
  const rows = [
    ['requests sent', (n) => cell(of(n, 'sent'))],
    ['requests a second (answered or failed)', (n) => cell(of(n, 'perSecond'))],
    ['2xx', (n) => cell(of(n, 'ok'))],
    ['non-2xx', (n) => cell(of(n, 'non2xx'))],
    ['socket errors', (n) => cell(of(n, 'socketErrors'))],
    ['socket errors, all runs: refused / reset / closed unanswered / timeout / other',
     (n) => Object.keys(results[n][0].failures).map((k) => sum(n, k)).join(' / ')],
    ['**failed requests** (non-2xx + socket errors)', (n) => `**${cell(of(n, 'failed'))}**`],
    ['failed requests within rollout windows', (n) => cell(of(n, 'failedInRollouts'))],
    ['latency p50 (2xx), ms', (n) => cell(of(n, 'p50'), 1)],
    ['latency p99 (2xx), ms', (n) => cell(of(n, 'p99'), 1)],
    ['latency p99 during rollouts, ms', (n) => cell(of(n, 'p99Rollouts'), 1)],
    ['rollouts completed (exit 0) / attempted', (n) => `${cell(of(n, 'completed'))} / ${cell(of(n, 'attempted'))}`],
    ['rollout duration (median of a run), ms', (n) => cell(of(n, 'rolloutMs'))],
    ['rollouts that replaced every instance', (n) => cell(of(n, 'replaced'))],
  ];
  console.log(`| ${runs} runs of ${seconds} s, a reload every ${every} s | ${headers.join(' | ')} |`);
  console.log(`|---|${sideNames.map(() => '---').join('|')}|`);
  for (const [label, value] of rows) console.log(`| ${label} | ${sideNames.map(value).join(' | ')} |`);
}

function verdicts(sideNames, results) {
  const m = (name, key) => lib.median(results[name].map((r) => r[key]));
  const lines = [];
  for (const name of sideNames.filter((n) => n.startsWith('corral'))) {
    const met = m(name, 'failed') === 0 && m(name, 'completed') >= targetRollouts && m(name, 'replaced') >= targetRollouts;
    lines.push(`0 failed requests through ${name} over at least ${targetRollouts} rollouts: ${met ? 'met' : 'MISSED'} ` +
               `(median ${m(name, 'failed')} failed of ${m(name, 'sent').toFixed(0)}, worst run ${Math.max(...results[name].map((r) => r.failed))}; ` +
               `${m(name, 'completed')} rollouts completed, ${m(name, 'replaced')} replaced every instance)`);
  }
  if (results.corral && results.pm2) {
    const f = (key, digits) => `corral ${m('corral', key).toFixed(digits)} vs pm2 ${m('pm2', key).toFixed(digits)}`;
    lines.push(`failed requests: ${f('failed', 0)}; p99 during rollouts: ${f('p99Rollouts', 1)} ms; ` +
               `rollout duration: ${f('rolloutMs', 0)} ms`);
  }
  for (const name of sideNames) {
    const unaccounted = results[name].reduce((a, r) => a + r.unaccounted, 0);
    if (unaccounted !== 0) lines.push(`${name}: ${unaccounted} request(s) neither answered nor failed (a counting defect)`);
    const failedReloads = results[name].flatMap((r) => r.failedReloads);
    if (failedReloads.length) lines.push(`${name}: ${failedReloads.length} reload(s) failed; first: ${failedReloads[0].slice(0, 500)}`);
  }
  for (const line of lines) console.log(`- ${line}`);
}

async function main() {
  if (!fs.existsSync(lib.corralBinary)) throw new Error(`${lib.corralBinary} is missing: run scripts/build.sh first`);
  const autocannon = lib.installFromNpm('autocannon-9', 'autocannon@9', 'autocannon');
  if (!autocannon) throw new Error('autocannon could not be installed from the npm registry');
  const all = [];
  if (!args.includes('--no-corral')) all.push({ ...sides.corral(), expected: sides.instances });
  if (args.includes('--corral-plain')) all.push({ ...sides.corral({ plain: true }), expected: 1 });
  const cli = args.includes('--no-pm2') ? null : lib.installPm2();
  if (cli) all.push({ ...sides.pm2(cli), expected: sides.instances });
  const started = Date.now();
  console.log(`# Rolling reloads under load: ${all.map((s) => `${s.name} ${s.version()}`).join(', ')}, node ${process.version}`);
  console.log(`${runs} runs; ${new Date().toISOString()}; ${os.cpus().length} CPUs, load average ` +
              `${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; ${connections} keep-alive connections + ` +
              `${newRate} new connections a second\n`);
  const results = Object.fromEntries(all.map((s) => [s.name, []]));
  for (let run = 0; run < runs; run++) {
    for (const side of all) {
      const result = await oneRun(side, autocannon);
      results[side.name].push(result);
      console.error(`run ${run + 1} of ${runs}, ${side.name}: ${result.sent} sent, ${result.failed} failed, ` +
                    `${result.completed}/${result.attempted} rollouts (${Math.round((Date.now() - started) / 1000)} s)`);
    }
  }
  const names = all.map((s) => s.name);
  table(names, all.map((s) => `${s.name} ${s.version()}`), results);
  console.log('\nmedian (min-max) of the runs\n');
  verdicts(names, results);
  console.log(`\n(the whole run took ${Math.round((Date.now() - started) / 1000)} s)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
