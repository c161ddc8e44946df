// The two supervisors of bench/deploy.js behind one face: start(dir, port) starts the app
// (bench/fixtures/web.js) with INSTANCES instances and resolves once they all run and it answers, giving
//   { pids(): the pids of its running instances, reload(): { code, ms, stderr } of one rolling reload
//     (the command waits until the rollout is done), stop() }.
// corral: `corral up` on a corral.toml in `dir`: the daemon holds the listening socket (`listen`), every
//   instance inherits it (LISTEN_FDS), `ready = "listening"`, rolling reloads with one surge instance and
//   none unavailable; stop signal SIGINT, the one pm2 sends, so both stop the app through the same handler.
//   `plain`: corral as it was before zero-downtime deploys (one instance that binds PORT itself, no
//   `listen`/`ready`, `corral restart web` as the deploy, which returns before the new instance runs, so
//   its rollouts never count as having replaced the instance): what the benchmark counts when a deploy
//   drops requests. `standby = false` there: on 6707441 a restart whose stop ends in SIGKILL crashes the
//   daemon (SIGSEGV in Incarnation::handle_exit) when a standby shim dies in the same kill.
// pm2: cluster mode, as pm2's docs recommend for graceful reloads (wait_ready, listen_timeout,
//   kill_timeout), PM2_HOME in `dir`; the CLI, its God daemon and the workers in a memory-limited cgroup of
//   their own (BenchGroup), so that stop() finds every process they left.
'use strict';
const fs = require('fs');
const path = require('path');
const http = require('http');
const { spawn, spawnSync, execFileSync } = require('child_process');
const lib = require('./lib');

const node = process.execPath;
const app = path.join(__dirname, 'fixtures', 'web.js');
const instances = 4;
const stopTimeoutS = 5;
const pm2GroupBytes = 2 * 1024 * 1024 * 1024;

// A free loopback port: bound on port 0, read, released.
function freePort() {
  return new Promise((resolve, reject) => {
    const server = require('net').createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function answers(port) {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', agent: false, timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

// Resolves once `count` instances run (pids() gives them) and the port answers 200; `failure()` gives an
// error that ends the wait at once (the supervisor went away).
async function untilUp(what, pids, port, count, failure = () => null) {
  const deadline = Date.now() + 60_000;
  while (pids().length < count || !(await answers(port))) {
    const error = failure();
    if (error) throw error;
    if (Date.now() > deadline) throw new Error(`${what}: ${count} instances not up and answering within 60 s`);
    await lib.sleep(100);
  }
}

// Runs a command to its end without blocking the event loop: { code, ms, stderr }.
function timedRun(argv, options) {
  return new Promise((resolve) => {
    const before = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (data) => (stderr += data));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, ms: lib.ms(process.hrtime.bigint() - before), stderr: stderr.slice(-2000) });
    });
  });
}

function jsonOf(command, argv, options) {
  const result = spawnSync(command, argv, { ...options, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  if (result.status !== 0) throw new Error(`${command} ${argv.join(' ')}: ${result.error || result.stderr}`);
  const text = result.stdout.toString();
  return JSON.parse(text.slice(text.search(/[[{]/)));
}

function corralToml(port, plain) {
  const service = plain
    ? 'instances = 1\nstandby = false\n'
    : `instances = ${instances}\nlisten = ["127.0.0.1:${port}"]\nready = "listening"\n` +
      'rollout = { surge = 1, max_unavailable = 0 }\n';
  return `[services.web]\ncommand = ["${node}", "${app}"]\n${service}` +
         `stop = { signal = "SIGINT", timeout = "${stopTimeoutS}s" }\nenv = { PORT = "${port}" }\n`;
}

function corral({ plain = false } = {}) {
  return {
    name: plain ? 'corral (plain restart)' : 'corral',
    version: () => execFileSync(lib.corralBinary, ['--version']).toString().trim().split(/\s+/).pop(),
    async start(dir, port) {
      const daemon = lib.startCorral(dir, corralToml(port, plain));
      const socket = path.join(dir, '.corral', 'corral.sock');
      const stderr = () => fs.readFileSync(path.join(dir, 'corral.stderr'), 'utf8').slice(-3000);
      const pids = () => {
        if (!fs.existsSync(socket)) return [];
        return jsonOf(lib.corralBinary, ['status', '--json', '--socket', socket]).instances
          .filter((i) => i.service === 'web' && i.state === 'running' && i.pid).map((i) => i.pid);
      };
      let exit = null;
      daemon.exited.then((result) => (exit = result));
      const failure = () => exit && new Error(`corral exited with ${exit.code ?? exit.signal}:\n${stderr()}`);
      const stop = async () => {
        const { code, signal } = await lib.stopCorral(daemon);
        if (code === 0) return;
        const left = lib.removeCorralGroups(stderr());
        throw new Error(`corral exited with ${code ?? signal} (${left.length} cgroup(s) it left removed):\n${stderr()}`);
      };
      try {
        await untilUp('corral', pids, port, plain ? 1 : instances, failure);
      } catch (error) {
        await stop().catch(() => {});
        throw error;
      }
      return {
        pids,
        reload: () => timedRun([lib.corralBinary, ...(plain ? ['restart'] : ['reload']), 'web', '--socket', socket]),
        stop,
      };
    },
  };
}

function pm2Ecosystem(port) {
  return {
    apps: [{
      name: 'web', script: app, exec_mode: 'cluster', instances, env: { PORT: String(port) },
      wait_ready: true, listen_timeout: 10_000, kill_timeout: stopTimeoutS * 1000, autorestart: true,
    }],
  };
}

function pm2(cli) {
  return {
    name: 'pm2',
    version: () => lib.pm2Version(cli),
    async start(dir, port) {
      const group = new lib.BenchGroup('deploy-pm2', pm2GroupBytes);
      const env = { ...process.env, PM2_HOME: dir };
      const stop = async () => {
        spawnSync(node, [cli, 'kill'], { env, stdio: 'ignore', timeout: 60_000 });
        group.killSync();
      };
      try {
        const ecosystem = path.join(dir, 'ecosystem.config.js');
        fs.writeFileSync(ecosystem, `module.exports = ${JSON.stringify(pm2Ecosystem(port))};`);
        // The CLI joins the group first; the daemon it starts, and the workers, are born inside.
        const started = await timedRun(group.enter([node, cli, 'start', ecosystem]), { env });
        if (started.code !== 0) throw new Error(`pm2 start exited with ${started.code}: ${started.stderr}`);
        const pids = () => jsonOf(node, [cli, 'jlist'], { env })
          .filter((p) => p.name === 'web' && p.pm2_env.status === 'online' && p.pid).map((p) => p.pid);
        await untilUp('pm2', pids, port, instances);
        return { pids, reload: () => timedRun(group.enter([node, cli, 'reload', 'web']), { env }), stop };
      } catch (error) {
        await stop();
        throw error;
      }
    },
  };
}

module.exports = { corral, pm2, freePort, instances };
