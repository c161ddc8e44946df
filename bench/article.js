#!/usr/bin/env node
// The article's scenario for SECONDS (60), in one run:
//  (a) plain node: article-parent.js forks article-child.js and sends it ~1 KiB objects at RATE a second
//      (default 60000, more than the child takes), never waiting for send(); the child appends each to
//      one of 200 files with fire-and-forget fs.appendFile. A watchdog kills both once their RSS together
//      passes 2 GiB;
//  (b) the same two programs under corral, the child with cooling on its write rate (work 15 s, cool
//      15 s, hold: it gets nothing while cooling, and its messages wait on disk).
// Prints per-second RSS of parent and child and the child's write rate for both, charts of them, and
// messages sent, delivered and lost (under corral after the backlog has drained).
// Usage: node bench/article.js [--seconds S] [--rate R]   (--rate 0: flat out, as fast as Node sends)
//
// Repeated runs, through corral only (the plain-node part is skipped):
//   node bench/article.js --rate 0 --seconds 30 --runs 10 [--hog]
// runs the article RUNS times in a row, then, with --hog, RUNS times more with a CPU-hungry service (two
// instances spinning, one per core of a 2-core host) beside it; prints per run the parent's peak RSS
// (VmHWM), messages sent, delivered and lost, and how often corral throttled and froze the parent, then a summary:
// the parent's peak under 150 MB in every run, nothing lost. For comparisons: --no-throttle turns the
// sender throttle off (throttle = false), --quarter-weight gives the instances' top cgroup a quarter of
// the daemon's CPU weight after the start (cpu.shares 256 / cpu.weight 25; the default is equal weight).
// --hog-only runs only the RUNS runs beside the hog.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const lib = require('./lib');

const args = process.argv.slice(2);
const seconds = args.includes('--seconds') ? Number(args[args.indexOf('--seconds') + 1]) : 60;
const rate = args.includes('--rate') ? Number(args[args.indexOf('--rate') + 1]) : 60_000;
const runs = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 0;
const hogOnly = args.includes('--hog-only');
const withHog = hogOnly || args.includes('--hog');
const sides = hogOnly ? [true] : withHog ? [false, true] : [false];
const throttle = !args.includes('--no-throttle');
const quarterWeight = args.includes('--quarter-weight');
const hogScript = path.join(__dirname, 'fixtures', 'article-hog.js');
const watchdogKiB = 2 * 1024 * 1024;
const parentScript = path.join(__dirname, 'fixtures', 'article-parent.js');
const childScript = path.join(__dirname, 'fixtures', 'article-child.js');
const node = process.execPath;

// "<what> <value> <ms>" records of a file, as [ms, value].
function series(file, what) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const points = [];
  for (const line of text.split('\n')) {
    const [word, value, at] = line.split(' ');
    if (word === what && at !== undefined) points.push([Number(at), Number(value)]);
  }
  return points;
}
const last = (file, what) => {
  const points = series(file, what);
  return points.length ? points[points.length - 1][1] : 0;
};

// Per whole second since `start`: the last value at or before it (RSS), or the rate over that second.
function perSecond(points, start, count, rate = false) {
  const out = [];
  for (let s = 1; s <= count; s++) {
    const at = start + s * 1000;
    const before = points.filter(([t]) => t <= at);
    const earlier = points.filter(([t]) => t <= at - 1000);
    if (!before.length) {
      out.push(null);
    } else if (!rate) {
      out.push(before[before.length - 1][1]);
    } else {
      const [t1, v1] = before[before.length - 1];
      const [t0, v0] = earlier.length ? earlier[earlier.length - 1] : points[0];
      out.push(t1 > t0 ? ((v1 - v0) * 1000) / (t1 - t0) : 0);
    }
  }
  return out;
}

async function waitQuiet(record, target, quietMs, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const now = last(record, 'received');
    if (now >= target) return;
    if (now !== seen) [seen, since] = [now, Date.now()];
    else if (Date.now() - since > quietMs) return;
    await lib.sleep(250);
  }
}

function files(dir) {
  fs.mkdirSync(path.join(dir, 'out'));
  return { parent: path.join(dir, 'parent'), child: path.join(dir, 'child'), out: path.join(dir, 'out') };
}

// What the parent sent in all its incarnations (its counter starts again at 0 after a restart).
function sentTotal(file) {
  let total = 0;
  let previous = 0;
  for (const [, value] of series(file, 'sent')) {
    if (value < previous) total += previous;
    previous = value;
  }
  return total + previous;
}

function summary(record, start, extra) {
  return {
    parentRss: perSecond(series(record.parent, 'rss'), start, seconds).map((kib) => (kib === null ? null : kib / 1024)),
    childRss: perSecond(series(record.child, 'rss'), start, seconds).map((kib) => (kib === null ? null : kib / 1024)),
    writeRate: perSecond(series(record.child, 'io'), start, seconds, true).map((b) => (b === null ? null : b / 1048576)),
    sent: sentTotal(record.parent),
    delivered: last(record.child, 'received'),
    ...extra,
  };
}

async function direct() {
  const dir = lib.tempDir('article-direct');
  const record = files(dir);
  const env = { ...process.env, DIRECT: '1', CHILD_SCRIPT: childScript, RECORD_FILE: record.parent,
                CHILD_RECORD: record.child, OUT_DIR: record.out, DURATION_MS: String(seconds * 1000),
                ...(rate > 0 ? { RATE: String(rate) } : {}) };
  const start = Date.now();
  const parent = spawn(node, [parentScript], { env, stdio: 'ignore', detached: true });
  let killedAt = null;
  try {
    while (Date.now() - start < (seconds + 1) * 1000 && !last(record.parent, 'done')) {
      const total = lib.statusKiB(parent.pid, 'VmRSS') + (last(record.child, 'rss') || 0);
      if (total > watchdogKiB) {
        process.kill(parent.pid, 'SIGKILL');  // what it had not written yet is lost with it
        killedAt = (Date.now() - start) / 1000;
        break;
      }
      await lib.sleep(50);
    }
    const sent = last(record.parent, 'done') || last(record.parent, 'sent');
    await waitQuiet(record.child, sent, 3000, 120_000);
    return summary(record, start, { killedAt });
  } finally {
    try {
      process.kill(-parent.pid, 'SIGKILL');
    } catch {}
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// The instances' top cgroup back to the default CPU weight (the daemon's edge over them gone).
function giveQuarterWeight(socket, corralPid) {
  const status = JSON.parse(execFileSync(lib.corralBinary, ['status', '--json', '--socket', socket]));
  const top = String(status.daemon.cgroups).match(/corral-[0-9a-f]{12}/);
  if (!top) throw new Error(`no top group in ${status.daemon.cgroups}`);
  const lines = fs.readFileSync(`/proc/${corralPid}/cgroup`, 'utf8').split('\n');
  const v1 = lines.find((line) => /^\d+:([^:]*,)?cpu(,[^:]*)?:/.test(line));
  if (v1) {
    fs.writeFileSync(path.join('/sys/fs/cgroup/cpu', v1.split(':')[2], top[0], 'cpu.shares'), '256');
  } else {
    const own = lines.find((line) => line.startsWith('0::')).slice(3).replace(/\/supervisor$/, '');
    fs.writeFileSync(path.join('/sys/fs/cgroup', own, top[0], 'cpu.weight'), '25');
  }
}

async function underCorral(hog = false) {
  const dir = lib.tempDir('article-corral');
  const record = files(dir);
  const corral = lib.startCorral(dir, `
${hog ? `[services.hog]
command = ["${node}", "${hogScript}"]
instances = 2
memory = { max = "256MiB" }
` : ''}
[services.parent]
command = ["${node}", "${parentScript}"]
memory = { max = "1GiB" }
${throttle ? '' : 'throttle = false\n'}env = { RECORD_FILE = "${record.parent}", DURATION_MS = "${seconds * 1000}"${rate > 0 ? `, RATE = "${rate}"` : ''} }

[services.child]
command = ["${node}", "${childScript}"]
memory = { max = "1GiB" }
env = { CHILD_RECORD = "${record.child}", OUT_DIR = "${record.out}" }
cooling = { trigger = "write_rate", above = "20MiB/s", for = "5s", work = "15s", cool = "15s" }

[[routes]]
from = "parent"
to = "child"
queue = { spill_max = "8GiB" }

[[routes]]
from = "child"
to = "parent"
`);
  const start = Date.now();
  try {
    const socket = path.join(dir, '.corral', 'corral.sock');
    let spillPeak = 0;
    const cooled = { parent: 0, child: 0 };
    if (quarterWeight) {
      await lib.waitFor(() => fs.existsSync(socket) && fs.existsSync(record.parent), 20_000, 'the parent');
      giveQuarterWeight(socket, corral.pid);
    }
    while (Date.now() - start < (seconds + 30) * 1000 && !last(record.parent, 'done')) {
      try {
        const status = JSON.parse(execFileSync(lib.corralBinary, ['status', '--json', '--socket', socket]));
        const route = status.routes.find((r) => r.from === 'parent' && r.to === 'child');
        spillPeak = Math.max(spillPeak, route.destinations[0].spilled_bytes);
        for (const instance of status.instances) if (instance.cooling && instance.service in cooled) cooled[instance.service] += 1;
      } catch {}
      await lib.sleep(1000);
    }
    const sent = sentTotal(record.parent);
    const drainStart = Date.now();
    await waitQuiet(record.child, sent, 40_000, 600_000);
    const drainSeconds = (Date.now() - drainStart) / 1000;
    const log = fs.readFileSync(path.join(dir, 'corral.stderr'), 'utf8');
    return summary(record, start, {
      killedAt: null,
      spillPeak,
      drainSeconds,
      coolPeriods: (log.match(/child#0: cooling/g) || []).length,
      parentDeaths: (log.match(/parent#0 \[pid \d+\]: running -> /g) || []).length,
      parentPeakKiB: last(record.parent, 'hwm'),
      throttles: (log.match(/parent#0: CPU throttled to/g) || []).length,
      halvings: (log.match(/parent#0: CPU throttled further/g) || []).length,
      freezes: (log.match(/parent#0: frozen: /g) || []).length,
      throttledMs: throttledMs(log),
      daemonPeakKiB: lib.statusKiB(corral.pid, 'VmHWM'),
    });
  } finally {
    await lib.stopCorral(corral);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const blocks = ' ▁▂▃▄▅▆▇█';
function sparkline(values, max) {
  const level = (v) => (v > 0 ? Math.max(1, Math.min(8, Math.round((v / (max || 1)) * 8))) : 0);
  return values.map((v) => (v === null ? ' ' : blocks[level(v)])).join('');
}
const cell = (v, width = 7) => String(v === null ? (width > 0 ? 'x' : '') : Math.round(v)).padStart(width);
const maxOf = (...lists) => Math.max(1, ...lists.flat().filter((v) => v !== null));

// The parent's total throttled time, from the daemon's last "lifted" line ("throttled 4.2s in all").
function throttledMs(log) {
  const all = [...log.matchAll(/parent#0: CPU throttle lifted: .*throttled ([0-9.hms]+) in all/g)];
  if (!all.length) return 0;
  let ms = 0;
  for (const [, amount, unit] of all[all.length - 1][1].matchAll(/([0-9.]+)(ms|h|m|s)/g)) {
    ms += Number(amount) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit];
  }
  return ms;
}

// --runs: the article RUNS times through corral (and RUNS times beside a hog), one line per run.
async function repeated() {
  const mb = (kib) => (kib * 1024) / 1e6;
  const f0 = (x) => Math.round(x).toLocaleString('en-US');
  const plan = hogOnly ? `${runs} run(s) through corral beside a CPU hog (2 spinning instances)`
    : `${runs} run(s) through corral${withHog ? `, then ${runs} beside a CPU hog (2 spinning instances)` : ''}`;
  console.log(`the article for ${seconds} s, ${plan}: ` +
              `parent sends 1 KiB messages ${rate > 0 ? `at ${rate}/s` : 'flat out'}, never waiting` +
              `${throttle ? '' : '; sender throttle off'}${quarterWeight ? '; instances at a quarter of the daemon\'s CPU weight' : ''}`);
  console.log(`run  hog   parent peak MB  deaths        sent   delivered   lost   throttled  halved  frozen   drain s`);
  const results = [];
  for (const hog of sides) {
    for (let i = 1; i <= runs; i++) {
      const r = await underCorral(hog);
      const peak = mb(r.parentPeakKiB);
      // A parent that died (its cgroup's OOM killer at 1 GiB) took its peak with it: such a run fails.
      results.push({ hog, peak, lost: r.sent - r.delivered, deaths: r.parentDeaths });
      console.log(`${String(i).padStart(3)}  ${hog ? 'yes' : ' no'}  ${peak.toFixed(1).padStart(14)}  ${String(r.parentDeaths).padStart(6)}  ` +
                  `${f0(r.sent).padStart(10)}  ` +
                  `${f0(r.delivered).padStart(10)}  ${f0(r.sent - r.delivered).padStart(5)}  ` +
                  `${`${r.throttles}x ${(r.throttledMs / 1000).toFixed(1)}s`.padStart(10)}  ${String(r.halvings).padStart(6)}  ${String(r.freezes).padStart(6)}  ` +
                  `${r.drainSeconds.toFixed(1).padStart(8)}`);
    }
  }
  for (const hog of sides) {
    const peaks = results.filter((r) => r.hog === hog).map((r) => r.peak);
    console.log(`${hog ? 'beside the hog' : 'alone         '}: parent peak ${Math.min(...peaks).toFixed(1)}-${Math.max(...peaks).toFixed(1)} MB, ` +
                `median ${lib.median(peaks).toFixed(1)} MB`);
  }
  const worst = Math.max(...results.map((r) => r.peak));
  const lost = results.reduce((sum, r) => sum + r.lost, 0);
  const deaths = results.reduce((sum, r) => sum + r.deaths, 0);
  console.log(`targets: parent peak under 150 MB in every run, and never killed: ` +
              `${worst < 150 && deaths === 0 ? 'met' : 'MISSED'} (worst ${worst.toFixed(1)} MB, ${deaths} death(s)); ` +
              `nothing lost: ${lost === 0 ? 'met' : `MISSED (${f0(lost)})`}`);
}

async function main() {
  if (!fs.existsSync(lib.corralBinary)) throw new Error(`${lib.corralBinary} is missing: run scripts/build.sh first`);
  if (runs > 0) return repeated();
  const a = await direct();
  const b = await underCorral();
  console.log(`the article for ${seconds} s: parent sends 1 KiB messages ${rate > 0 ? `at ${rate}/s` : 'flat out'}, ` +
              `never waiting; child appends each to one of 200 files`);
  console.log(`(x: killed by the watchdog at 2 GiB)`);
  console.log(`      plain node                      under corral, with cooling`);
  console.log(`  s   parent MiB  child MiB  write MiB/s   parent MiB  child MiB  write MiB/s`);
  for (let s = 0; s < seconds; s++) {
    const dead = a.killedAt !== null && s + 1 > a.killedAt;
    console.log(`${cell(s + 1, 3)}   ${cell(dead ? null : a.parentRss[s], 10)} ${cell(dead ? null : a.childRss[s], 10)} ` +
                `${cell(a.writeRate[s], 12)}   ${cell(b.parentRss[s], 10)} ${cell(b.childRss[s], 10)} ${cell(b.writeRate[s], 12)}`);
  }
  const rssMax = maxOf(a.parentRss, b.parentRss);
  const writeMax = maxOf(a.writeRate, b.writeRate);
  console.log(`\nparent RSS (0 to ${Math.round(rssMax)} MiB), one column a second`);
  console.log(`  plain node    ${sparkline(a.parentRss.map((v, s) => (a.killedAt !== null && s + 1 > a.killedAt ? null : v)), rssMax)}`);
  console.log(`  under corral  ${sparkline(b.parentRss, rssMax)}`);
  console.log(`child write rate (0 to ${Math.round(writeMax)} MiB/s)`);
  console.log(`  plain node    ${sparkline(a.writeRate, writeMax)}`);
  console.log(`  under corral  ${sparkline(b.writeRate, writeMax)}`);
  const f0 = (x) => Math.round(x).toLocaleString('en-US');
  console.log(`\nmessages        sent ${f0(a.sent).padStart(10)}   delivered ${f0(a.delivered).padStart(10)}   lost ${f0(a.sent - a.delivered).padStart(10)}   (plain node${a.killedAt !== null ? `, killed at ${a.killedAt.toFixed(1)} s` : ''})`);
  console.log(`                sent ${f0(b.sent).padStart(10)}   delivered ${f0(b.delivered).padStart(10)}   lost ${f0(b.sent - b.delivered).padStart(10)}   (corral)`);
  console.log(`corral: ${b.coolPeriods} cool periods of the child (hold); parent restarts ${b.parentDeaths}; ` +
              `spill journal peak ${f0(b.spillPeak / 1048576)} MiB, drained ${b.drainSeconds.toFixed(1)} s after the parent stopped; ` +
              `daemon peak RSS ${(b.daemonPeakKiB / 1024).toFixed(1)} MiB`);
  const parentPeak = Math.max(...b.parentRss.filter((v) => v !== null));
  console.log(`\ntargets under corral: parent peak RSS under 150 MB: ${parentPeak * 1.048576 < 150 ? 'met' : 'MISSED'} ` +
              `(${Math.round(parentPeak)} MiB); nothing lost: ${b.sent === b.delivered ? 'met' : 'MISSED'}; ` +
              `the child cooled: ${b.coolPeriods > 0 ? 'met' : 'MISSED'}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
