const index = process.env.CORRAL_INSTANCE;
let tick = 0;
console.log(`worker #${index} started (pid ${process.pid})`);
setInterval(() => {
  tick += 1;
  console.log(`worker #${index}: tick ${tick}`);
}, 1000);
