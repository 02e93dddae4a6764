// Exit 0 when a Redis server answers PING at the URL given, 1 otherwise (no redis-cli needed).
const net = require('node:net');
const url = new URL(process.argv[2] || 'redis://127.0.0.1:6379');
const socket = net.connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 6379) });
const timer = setTimeout(() => {
  console.error('no answer within 3 s');
  process.exit(1);
}, 3000);
socket.on('connect', () => {
  if (url.password) socket.write(`AUTH ${decodeURIComponent(url.username || 'default')} ${decodeURIComponent(url.password)}\r\n`);
  socket.write('PING\r\n');
});
socket.on('data', (d) => {
  if (/\+PONG/.test(String(d))) {
    clearTimeout(timer);
    socket.end();
    process.exit(0);
  }
});
socket.on('error', (e) => {
  console.error(e.message);
  process.exit(1);
});
