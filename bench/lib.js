// Shared helpers of the benchmarks: temp dirs, waiting, records, RSS, and the daemons under test.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const corralBinary = process.env.CORRAL || path.join(root, 'build', 'corral');

// Temp dirs are removed by their users; what an interrupted run leaves is removed on the way out.
const tempDirs = new Set();
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `corral-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

// "<what> <value>" lines; values are BigInt nanoseconds or plain integers.
function readRecords(file) {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [what, value] = line.split(' ');
      return { what, value: BigInt(value) };
    });
}

const valuesOf = (records, what) => records.filter((r) => r.what === what).map((r) => r.value);

function statusKiB(pid, key) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) : NaN;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const ms = (ns) => Number(ns) / 1e6;

// Starts `corral up` on a service file written into `dir`; resolves once the process exists.
function startCorral(dir, toml) {
  fs.writeFileSync(path.join(dir, 'corral.toml'), toml);
  const err = fs.openSync(path.join(dir, 'corral.stderr'), 'w');
  const child = spawn(corralBinary, ['up', 'corral.toml'], { cwd: dir, stdio: ['ignore', 'ignore', err] });
  fs.closeSync(err);
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  corrals.add(child);
  child.exited.then(() => corrals.delete(child));
  return child;
}

// The corral daemons under test that have not exited yet.
const corrals = new Set();

async function stopCorral(child) {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

// Installs `spec` (e.g. "pm2@7") from the npm registry into bench/.cache/<dirName> (benchmarks only) unless
// `file` (relative to its node_modules) is there already; returns that file's path, or null when the install
// failed (the caller skips what needs it).
function installFromNpm(dirName, spec, file) {
  const prefix = path.join(__dirname, '.cache', dirName);
  const wanted = path.join(prefix, 'node_modules', file);
  if (!fs.existsSync(wanted)) {
    try {
      fs.mkdirSync(prefix, { recursive: true });
      execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefix', prefix, spec], {
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 300_000,
      });
    } catch (error) {
      console.error(`${spec} could not be installed (${error.message})`);
      return null;
    }
  }
  return wanted;
}

// pm2 7's CLI, or null (then the pm2 comparison is skipped).
function installPm2() {
  const cli = installFromNpm('pm2-7', 'pm2@7', path.join('pm2', 'bin', 'pm2'));
  if (!cli) console.error('skipping the pm2 comparison');
  return cli;
}

function pm2Version(cli) {
  return JSON.parse(fs.readFileSync(path.join(path.dirname(cli), '..', 'package.json'), 'utf8')).version;
}

// The spread of a set of samples: median, min, max and count. Every benchmark judges on the median.
function summary(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

// "12.3 (10.1-15.0)": median with the spread (min-max) in brackets.
function withSpread(values, digits = 1) {
  const s = summary(values);
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;
}

// build/bare_launcher, the baseline launcher of every benchmark: fork + execv + waitpid and nothing else.
const bareLauncher = process.env.BARE_LAUNCHER || path.join(path.dirname(corralBinary), 'bare_launcher');

// "<what> <ns> [pid]" lines of a record file (first-line.js, oom-worker.js); a line still being written
// is left out.
function lineRecords(file) {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.pop();  // '' after the last newline, or a line not finished yet
  return lines.filter(Boolean).map((line) => {
    const [what, ns, pid] = line.split(' ');
    return { what, ns: BigInt(ns), pid: Number(pid) };
  });
}

// From each "exit" record to the next "start", in ms; the first gap is left out (it warms the page cache).
function exitToStartGaps(file) {
  const all = lineRecords(file);
  const gaps = [];
  for (let i = 0; i < all.length; i++) {
    if (all[i].what !== 'exit') continue;
    const next = all.slice(i + 1).find((r) => r.what === 'start');
    if (next) gaps.push(ms(next.ns - all[i].ns));
  }
  return gaps.slice(1);
}

// The floor of a restart: bare_launcher relaunching `node first-line.js` as soon as it exits with code 1,
// `count` times; each gap from the exit record to the next incarnation's first line, in ms. `ipc`: each
// incarnation gets a Node IPC channel, as under corral by default.
async function bareRelaunches(count, { ipc = false } = {}) {
  const dir = tempDir('bare-relaunch');
  try {
    const record = path.join(dir, 'record');
    const env = { ...process.env, RECORD_FILE: record, BENCH_MODE: 'fail', CRASH_AFTER_MS: '30' };
    const fixture = path.join(__dirname, 'fixtures', 'first-line.js');
    const child = spawn(bareLauncher, ['--spawns', String(count + 2), ...(ipc ? ['--ipc'] : []), '600', '1',
                                       process.execPath, fixture], { env, stdio: 'ignore' });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`bare_launcher exited with ${code}`);
    return exitToStartGaps(record).slice(0, count);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// /dev/kmsg, read without blocking, records put on CLOCK_MONOTONIC (process.hrtime.bigint()): the kernel's
// timestamps drift from CLOCK_MONOTONIC by a few milliseconds, so a probe record measures the offset.
class KernelLog {
  constructor() {
    this.fd = fs.openSync('/dev/kmsg', fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    this.buffer = Buffer.alloc(8192);
    this.offsetNs = 0n;
    this.drain();
    const before = process.hrtime.bigint();
    fs.writeSync(this.fd, 'corral-bench: clock probe\n');
    const after = process.hrtime.bigint();
    const probe = this.drain().find((r) => r.message.includes('corral-bench: clock probe'));
    this.offsetNs = probe ? probe.ns - (before + after) / 2n : 0n;
  }
  drain() {
    const records = [];
    for (;;) {
      let n;
      try {
        n = fs.readSync(this.fd, this.buffer, 0, this.buffer.length, null);
      } catch (error) {
        if (error.code === 'EPIPE') continue;  // overrun: the next read gives the oldest record left
        break;  // EAGAIN: nothing more
      }
      const text = this.buffer.toString('utf8', 0, n);
      const semi = text.indexOf(';');
      const us = BigInt(text.slice(0, semi).split(',')[2]);
      records.push({ ns: us * 1000n - this.offsetNs, message: text.slice(semi + 1).split('\n')[0] });
    }
    return records;
  }
  // pid -> monotonic ns of the kernel's "Killed process <pid>" records read so far, added to `into`.
  kills(into = new Map()) {
    for (const r of this.drain()) {
      const match = r.message.match(/Killed process (\d+) /);
      if (match) into.set(Number(match[1]), r.ns);
    }
    return into;
  }
  close() {
    fs.closeSync(this.fd);
  }
}

// A cgroup below this process's own, to hold a supervisor under test and everything it starts: with
// `limitBytes` its memory is limited (written before anything joins); without, it only keeps track of the
// processes so that kill() finds them all. Memory is the v1 controller on hybrid hosts, else cgroup2.
class BenchGroup {
  constructor(name, limitBytes = null) {
    const self = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n');
    const v1 = self.find((l) => l.split(':')[1] === 'memory');
    const v2 = self.find((l) => l.startsWith('0::'));
    if (v1 && fs.existsSync('/sys/fs/cgroup/memory/cgroup.procs')) {
      this.dir = path.join('/sys/fs/cgroup/memory', v1.split(':')[2], `corral-bench-${name}-${process.pid}`);
      fs.mkdirSync(this.dir);
      if (limitBytes) fs.writeFileSync(path.join(this.dir, 'memory.limit_in_bytes'), String(limitBytes));
    } else if (v2) {
      const base = path.join('/sys/fs/cgroup', v2.slice(3));
      if (limitBytes && !fs.readFileSync(path.join(base, 'cgroup.subtree_control'), 'utf8').includes('memory')) {
        throw new Error(`no memory controller delegated at ${base}`);
      }
      this.dir = path.join(base, `corral-bench-${name}-${process.pid}`);
      fs.mkdirSync(this.dir);
      if (limitBytes) fs.writeFileSync(path.join(this.dir, 'memory.max'), String(limitBytes));
    } else {
      throw new Error('no cgroup hierarchy to put a supervisor in');
    }
    groups.add(this);
  }
  // A shell command prefix that moves the shell into the group before it execs the rest.
  enter(command) {
    return ['/bin/sh', '-c', `echo $$ > ${this.dir}/cgroup.procs && exec "$@"`, 'sh', ...command];
  }
  pids() {
    try {
      return fs.readFileSync(path.join(this.dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }
  // SIGKILLs everything in the group until it is empty, then removes it.
  killSync() {
    for (let i = 0; i < 200; i++) {
      const pids = this.pids();
      if (pids.length === 0) break;
      for (const pid of pids) try { process.kill(pid, 'SIGKILL'); } catch {}
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
    try {
      fs.rmdirSync(this.dir);
    } catch (error) {
      console.error(`could not remove ${this.dir}: ${error.message}`);
    }
    groups.delete(this);
  }
}

// What a corral daemon under test that died (a crash, SIGKILL) left in the cgroup filesystems: each
// corral-<id> group named in its log, in every hierarchy; the processes inside are killed, then the groups
// removed, deepest first. Its instances die with it (parent-death signal); their groups stay otherwise.
function removeCorralGroups(log) {
  const names = new Set(log.match(/corral-[0-9a-f]{12}/g) || []);
  const found = [];
  const walk = (dir, depth) => {
    let entries = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {}
    for (const entry of entries.filter((e) => e.isDirectory())) {
      const sub = path.join(dir, entry.name);
      if (names.has(entry.name)) found.push(sub);
      else if (depth < 6) walk(sub, depth + 1);
    }
  };
  if (names.size) walk('/sys/fs/cgroup', 0);
  for (const top of found) {
    const dirs = [];
    const collect = (dir) => {
      dirs.push(dir);
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) collect(path.join(dir, e.name));
    };
    collect(top);
    for (const dir of dirs.reverse()) {
      const pids = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean);
      for (const pid of pids) try { process.kill(Number(pid), 'SIGKILL'); } catch {}
      for (let i = 0; i < 100; i++) {
        try {
          fs.rmdirSync(dir);
          break;
        } catch {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    }
  }
  return found;
}

// Bench groups not removed yet.
const groups = new Set();

// Whatever way the benchmark ends (an error, Ctrl-C, SIGTERM): a daemon still running is asked to stop its
// instances itself, the bench groups are killed whole, the temp dirs removed.
process.on('exit', () => {
  for (const child of corrals) child.kill('SIGTERM');
  for (const group of [...groups]) group.killSync();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});
// On Ctrl-C or SIGTERM the daemons under test are stopped before this process exits: whatever runs it
// (scripts/run-limited.sh) kills what is left at once, and a daemon killed mid-stop leaves its cgroups.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    if (interrupted) return;
    interrupted = true;
    for (const child of corrals) child.kill('SIGTERM');
    await Promise.race([Promise.all([...corrals].map((child) => child.exited)), sleep(20_000)]);
    process.exit(130);
  });
}

// CPU time of every thread of a process, in ns (the scheduler's sum_exec_runtime, not 10 ms ticks).
function cpuNs(pid) {
  let total = 0n;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      total += BigInt(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {}  // a thread that ended meanwhile
  }
  return total;
}

// Runs work(dir) in a fresh temporary directory, removed afterwards whatever happens.
async function inTempDir(name, work) {
  const dir = tempDir(name);
  try {
    return await work(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = {
  inTempDir,
  lineRecords,
  exitToStartGaps,
  bareRelaunches,
  pm2Version,
  summary,
  withSpread,
  bareLauncher,
  KernelLog,
  BenchGroup,
  cpuNs,
  root,
  corralBinary,
  tempDir,
  sleep,
  waitFor,
  readRecords,
  valuesOf,
  statusKiB,
  median,
  percentile,
  ms,
  startCorral,
  stopCorral,
  installPm2,
  installFromNpm,
  removeCorralGroups,
};
