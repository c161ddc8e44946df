// Shared helpers of the benchmarks: temp dirs, waiting, records, RSS, and the daemons under test.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const corralBinary = process.env.CORRAL || path.join(root, 'build', 'corral');

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `corral-bench-${prefix}-`));
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
  return child;
}

async function stopCorral(child) {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const result = await child.exited;
  clearTimeout(timer);
  return result;
}

// Installs pm2 from the npm registry into bench/.cache (benchmarks only); returns its CLI or null.
function installPm2() {
  const prefix = path.join(__dirname, '.cache', 'pm2');
  const cli = path.join(prefix, 'node_modules', 'pm2', 'bin', 'pm2');
  if (!fs.existsSync(cli)) {
    try {
      fs.mkdirSync(prefix, { recursive: true });
      execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--prefix', prefix, 'pm2@5'], {
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 300_000,
      });
    } catch (error) {
      console.error(`pm2 could not be installed (${error.message}); skipping the pm2 comparison`);
      return null;
    }
  }
  return cli;
}

module.exports = {
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
};
