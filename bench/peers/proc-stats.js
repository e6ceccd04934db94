'use strict';
// CPU and memory of a server process tree, read from /proc (docs/benchmarks.md: CPU from the threads'
// schedstat, or /proc/<pid>/stat utime+stime; RSS from /proc/<pid>/status). Children are
// included so that nginx's worker counts along with its master.
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');

let ticks = 100;
try {
  ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  // keep the Linux default
}

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces). */
function statFields(pid) {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** The pid and all its descendants. */
function processTree(root) {
  const parent = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      parent.set(Number(name), Number(statFields(name)[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parent) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

/**
 * CPU seconds of the tree. From /proc/<pid>/task/<tid>/schedstat (nanoseconds on the CPU, per
 * thread) where the kernel has it: utime+stime count in 1/CLK_TCK ticks (10 ms), which is a
 * sixth of what nginx uses in a whole 12 s window. Falls back to utime+stime.
 */
function cpuSeconds(root) {
  const pids = processTree(root);
  const precise = schedSeconds(pids);
  return precise ?? tickSeconds(pids);
}

function schedSeconds(pids) {
  let sum = 0;
  for (const pid of pids) {
    let tids;
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      try {
        sum += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
      } catch (err) {
        if (err.code === 'ENOENT' && !fs.existsSync(`/proc/${pid}/task/${tid}`)) continue; // the thread ended
        return null; // no schedstat on this kernel
      }
    }
  }
  return sum;
}

/** utime+stime in seconds, summed over the tree. */
function tickSeconds(pids) {
  let sum = 0;
  for (const pid of pids) {
    try {
      const f = statFields(pid);
      // after the name: state(0) ppid(1) ... utime(11) stime(12)
      sum += (Number(f[11]) + Number(f[12])) / ticks;
    } catch {
      // gone
    }
  }
  return sum;
}

/** VmRSS in KiB, summed over the tree. */
function rssKiB(root) {
  let sum = 0;
  for (const pid of processTree(root)) {
    try {
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) sum += Number(m[1]);
    } catch {
      // gone
    }
  }
  return sum;
}

module.exports = { cpuSeconds, rssKiB, processTree };
