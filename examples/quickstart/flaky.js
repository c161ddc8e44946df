console.log(`flaky started (pid ${process.pid}); it will crash in about 3 s`);
setTimeout(() => {
  throw new Error('flaky: something went wrong (on purpose)');
}, 2500 + Math.random() * 1000);
