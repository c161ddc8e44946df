// The supervisors bench/compare.js sets side by side, behind one face: start(name, services) starts the
// supervisor with the given services (each { name, script, env, memoryMax? }) and returns
//   { label, daemonPid, status(): ms of one status command, CLI included, stop() }.
// Every service restarts at once when it exits (no backoff, no start limit). pm2 and supervisord run in a
// cgroup of their own below ours (a memory limit when asked), so that stop() finds every process they left;
// corral makes its own instance cgroups and limits, and stops its instances itself.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync, execFileSync } = require('child_process');
const lib = require('./lib');

const node = process.execPath;

function timedCommand(command, argv, options) {
  const before = process.hrtime.bigint();
  const result = spawnSync(command, argv, { ...options, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  const took = lib.ms(process.hrtime.bigint() - before);
  if (result.error || result.stdout.length === 0) {
    throw new Error(`${command} ${argv.join(' ')}: ${result.error || result.stderr.toString()}`);
  }
  return took;
}

const corral = {
  name: 'corral',
  version: () => execFileSync(lib.corralBinary, ['--version']).toString().trim().split(/\s+/).pop(),
  async start(dir, services) {
    let toml = '';
    for (const s of services) {
      const env = Object.entries(s.env).map(([k, v]) => `${k} = "${v}"`).join(', ');
      toml += `[services.${s.name}]\ncommand = ["${node}", "${s.script}"]\nenv = { ${env} }\n` +
              'backoff = { initial = "0ms" }\nstart_limit = { interval = "0s" }\n' + (s.toml ? `${s.toml}\n` : '') +
              (s.memoryMax ? `memory = { max = "${s.memoryMax / 1048576}MiB" }\n` : '') + '\n';
    }
    const child = lib.startCorral(dir, toml);
    const socket = path.join(dir, '.corral', 'corral.sock');
    return {
      daemonPid: child.pid,
      status: () => timedCommand(lib.corralBinary, ['status', '--socket', socket]),
      stop: async () => {
        const { code, signal } = await lib.stopCorral(child);
        if (code !== 0) {
          const stderr = fs.readFileSync(path.join(dir, 'corral.stderr'), 'utf8');
          throw new Error(`corral exited with ${code ?? signal}:\n${stderr.slice(-2000)}`);
        }
      },
    };
  },
};

function pm2(cli) {
  return {
    name: 'pm2',
    version: () => lib.pm2Version(cli),
    async start(dir, services, limitBytes = null) {
      const group = new lib.BenchGroup('pm2', limitBytes);
      const env = { ...process.env, PM2_HOME: dir };
      const apps = services.map((s) => ({
        name: s.name, script: s.script, env: s.env, autorestart: true, restart_delay: 0, min_uptime: 0,
        max_restarts: 1_000_000,
      }));
      const ecosystem = path.join(dir, 'ecosystem.config.js');
      fs.writeFileSync(ecosystem, `module.exports = { apps: ${JSON.stringify(apps)} };`);
      // The CLI joins the group first; the daemon it starts, and the services, are born inside.
      const argv = group.enter([node, cli, 'start', ecosystem]);
      const cliExited = new Promise((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), { env, stdio: 'ignore' });
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pm2 start exited with ${code}`))));
      });
      const handle = {
        cliExited,
        get daemonPid() {
          return Number(fs.readFileSync(path.join(dir, 'pm2.pid'), 'utf8'));
        },
        status: () => timedCommand(node, [cli, 'jlist'], { env }),
        stop: async () => {
          await cliExited.catch(() => {});
          spawnSync(node, [cli, 'kill'], { env, stdio: 'ignore', timeout: 60_000 });
          group.killSync();
        },
      };
      return handle;
    },
  };
}

const supervisordBinary = ['/usr/bin/supervisord', '/usr/local/bin/supervisord'].find((p) => fs.existsSync(p));
const supervisorctlBinary = ['/usr/bin/supervisorctl', '/usr/local/bin/supervisorctl'].find((p) => fs.existsSync(p));

const supervisord = {
  name: 'supervisord',
  available: () => Boolean(supervisordBinary && supervisorctlBinary),
  version: () => execFileSync(supervisordBinary, ['--version']).toString().trim(),
  async start(dir, services, limitBytes = null) {
    const group = new lib.BenchGroup('supervisord', limitBytes);
    const conf = path.join(dir, 'supervisord.conf');
    let text = `[unix_http_server]\nfile=${dir}/supervisor.sock\n\n` +
               `[supervisord]\nnodaemon=true\nuser=root\nlogfile=${dir}/supervisord.log\npidfile=${dir}/supervisord.pid\n` +
               `childlogdir=${dir}\n\n` +
               '[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n' +
               `[supervisorctl]\nserverurl=unix://${dir}/supervisor.sock\n\n`;
    for (const s of services) {
      const env = Object.entries(s.env).map(([k, v]) => `${k}="${v}"`).join(',');
      // startsecs=0: a start counts at once, so that an exit is a plain restart, not a failed start with backoff.
      text += `[program:${s.name}]\ncommand=${node} ${s.script}\nenvironment=${env}\nautostart=true\nautorestart=true\n` +
              'startsecs=0\nstartretries=1000000\nstopwaitsecs=5\n\n';
    }
    fs.writeFileSync(conf, text);
    const argv = group.enter([supervisordBinary, '-c', conf]);
    const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    return {
      daemonPid: child.pid,  // sh execs supervisord in place
      status: () => timedCommand(supervisorctlBinary, ['-c', conf, 'status']),
      stop: async () => {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
        group.killSync();
      },
    };
  },
};

module.exports = { corral, pm2, supervisord };
