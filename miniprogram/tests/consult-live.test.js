// utils/consult-live.js：WebSocket、断线重连（退避）、补读、长轮询回退、去重。
const h = require('./helpers/fake-wx.js');

let fake;
let consultLive;
let api;

const MESSAGES = '/api/v1/consult/3/messages/';
const POLL = '/api/v1/consult/3/messages/poll/';

function msg(id, text) {
  return { id: id, sender: 'doctor', kind: 'text', text: text || '消息' + id, recalled: false, image: null, created_at: '2026-11-28T10:00:00+08:00' };
}

// 服务器上的消息：messages/ 和 poll/ 都按 after 应答；poll 没有新消息时等 wait 秒
let server;
function serve() {
  server = { messages: [], pollWaits: 0 };
  function after(req) {
    const cursor = Number(req.url.searchParams.get('after') || 0);
    const limit = Number(req.url.searchParams.get('limit') || 50);
    const results = server.messages.filter((m) => m.id > cursor).slice(0, limit);
    return { results: results, next_cursor: results.length ? results[results.length - 1].id : cursor };
  }
  fake.reply('GET', MESSAGES, (req) => [200, after(req)]);
  fake.reply('GET', POLL, (req) => {
    const page = after(req);
    if (page.results.length) {
      return [200, page];
    }
    server.pollWaits += 1;
    return new Promise((resolve) => setTimeout(() => resolve([200, after(req)]), Number(req.url.searchParams.get('wait')) * 1000));
  });
}

function requests(pathname) {
  return fake.calls.request.filter((r) => new URL(r.url).pathname === pathname).map((r) => Object.fromEntries(new URL(r.url).searchParams));
}

function start(after) {
  const seen = { messages: [], recalled: [], consult: [], states: [], errors: [] };
  const live = consultLive.create({
    consultId: 3,
    after: after,
    onMessages: (list) => seen.messages.push(...list.map((m) => m.id)),
    onRecalled: (id) => seen.recalled.push(id),
    onConsult: (c) => seen.consult.push(c.status),
    onState: (s) => seen.states.push(s),
    onError: (e) => seen.errors.push(e)
  });
  live.start();
  return { live: live, seen: seen };
}

function socket(i) {
  return fake.sockets[i === undefined ? fake.sockets.length - 1 : i];
}

const tick = (ms) => jest.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  jest.useFakeTimers();
  fake = h.install();
  fake.wx.setStorageSync('auth_tokens', { access: 'A', refresh: 'R' });
  consultLive = require('../utils/consult-live.js');
  api = require('../api/index.js');
  serve();
});

afterEach(() => {
  jest.useRealTimers();
});

test('connects with the Bearer header, catches up on ready and follows the frames once each', async () => {
  server.messages = [msg(40), msg(41), msg(42)];
  const { live, seen } = start(41);
  expect(socket().options.url).toBe('ws://127.0.0.1:8000/ws/consult/3/');
  expect(socket().options.header).toEqual({ Authorization: 'Bearer A' });
  expect(seen.states).toEqual(['connecting']);

  socket().open();
  socket().receive({ type: 'ready' });
  await tick(10);
  expect(requests(MESSAGES)).toEqual([{ after: '41', limit: '100' }]);
  expect(seen.messages).toEqual([42]);
  expect(seen.states).toEqual(['connecting', 'live']);

  socket().receive({ type: 'message', message: msg(43) });
  socket().receive({ type: 'message', message: msg(43) }); // 重复的帧
  socket().receive({ type: 'message', message: msg(42) }); // 补读已给过的
  socket().receive({ type: 'recalled', message_id: 43 });
  socket().receive({ type: 'consult', consult: { id: 3, status: 'closed' } });
  socket().receive({ type: 'error', error: { code: 'consult_not_open' } });
  expect(seen.messages).toEqual([42, 43]);
  expect(seen.recalled).toEqual([43]);
  expect(seen.consult).toEqual(['closed']);
  expect(seen.errors).toEqual([{ code: 'consult_not_open' }]);
  expect(live.lastId).toBe(43);
  live.stop();
});

test('reads the whole backlog page by page when catching up', async () => {
  server.messages = Array.from({ length: 150 }, (_, i) => msg(i + 1));
  const { live, seen } = start(0);
  socket().receive({ type: 'ready' });
  await tick(20);
  expect(requests(MESSAGES)).toEqual([{ after: '0', limit: '100' }, { after: '100', limit: '100' }]);
  expect(seen.messages).toHaveLength(150);
  expect(live.lastId).toBe(150);
  live.stop();
});

test('a dropped socket reconnects after a backoff and catches up from the last id, without duplicates', async () => {
  server.messages = [msg(5)];
  const { live, seen } = start(5);
  socket(0).receive({ type: 'ready' });
  await tick(10);
  socket(0).receive({ type: 'message', message: msg(6) });
  server.messages.push(msg(6), msg(7)); // 7 在断线期间发出
  socket(0).serverClose(1006);
  expect(seen.states).toEqual(['connecting', 'live', 'waiting']);
  expect(fake.sockets).toHaveLength(1);

  await tick(999);
  expect(fake.sockets).toHaveLength(1);
  await tick(1);
  expect(fake.sockets).toHaveLength(2);
  socket(1).receive({ type: 'ready' });
  await tick(10);
  expect(requests(MESSAGES).pop()).toEqual({ after: '6', limit: '100' });
  expect(seen.messages).toEqual([6, 7]);
  live.stop();
});

test('the backoff doubles while the socket keeps failing before ready, up to the fallback', async () => {
  const { live } = start(0);
  socket(0).serverClose(1006);
  await tick(1000);
  expect(fake.sockets).toHaveLength(2);
  socket(1).error(); // 第二次也没连上：改用长轮询
  await tick(10);
  expect(live.polling).toBe(true);
  expect(live.state).toBe('polling');
  expect(requests(POLL)).toEqual([{ after: '0', wait: '25' }]);
  live.stop();
});

test('falls back to long-poll, follows it, and stops polling when a later socket is ready', async () => {
  server.messages = [msg(1)];
  const { live, seen } = start(1);
  socket(0).serverClose(1006);
  await tick(1000);
  socket(1).serverClose(1006);
  await tick(10);
  expect(live.state).toBe('polling');
  expect(server.pollWaits).toBe(1);

  server.messages.push(msg(2));
  await tick(25000); // the waiting poll answers with 2; the next one waits again
  expect(seen.messages).toEqual([2]);
  expect(requests(POLL).map((q) => q.after)).toEqual(['1', '2']);

  // the socket is tried again 30 s after the fallback, and takes over once ready
  expect(fake.sockets).toHaveLength(2);
  await tick(5000);
  expect(fake.sockets).toHaveLength(3);
  server.messages.push(msg(3));
  socket(2).receive({ type: 'ready' });
  await tick(10);
  expect(live.polling).toBe(false);
  expect(live.state).toBe('live');
  expect(seen.messages).toEqual([2, 3]);
  const polls = requests(POLL).length;
  await tick(60000);
  expect(requests(POLL).length).toBe(polls);
  expect(seen.messages).toEqual([2, 3]);
  live.stop();
});

test('a failing poll waits a backoff before the next', async () => {
  fake.reply('GET', POLL, h.error('server_error', 500));
  const { live } = start(0);
  socket(0).serverClose(1006);
  await tick(1000);
  socket(1).serverClose(1006);
  await tick(10);
  expect(requests(POLL)).toHaveLength(1);
  expect(live.state).toBe('waiting');
  await tick(995);
  expect(requests(POLL)).toHaveLength(2);
  await tick(2010);
  expect(requests(POLL)).toHaveLength(3);
  live.stop();
});

test('4404 (not my consult) stops for good', async () => {
  const { live, seen } = start(0);
  socket(0).serverClose(4404);
  await tick(120000);
  expect(fake.sockets).toHaveLength(1);
  expect(seen.states.pop()).toBe('gone');
  expect(live.stopped).toBe(true);
});

test('4401 refreshes the token before reconnecting with the new one', async () => {
  fake.reply('POST', '/api/v1/accounts/token/refresh/', [200, { access: 'A2', refresh: 'R2' }]);
  const { live } = start(0);
  socket(0).serverClose(4401);
  await tick(10);
  expect(fake.storage.auth_tokens.access).toBe('A2');
  await tick(1000);
  expect(socket(1).options.header).toEqual({ Authorization: 'Bearer A2' });
  live.stop();
});

test('no ready within the timeout counts as a failure', async () => {
  const { live } = start(0);
  socket(0).open();
  await tick(15000);
  expect(socket(0).closed).toBe(true);
  expect(live.state).toBe('waiting');
  await tick(1000);
  expect(fake.sockets).toHaveLength(2);
  live.stop();
});

test('stop closes the socket and nothing reconnects; remembered messages are not given again', async () => {
  const { live, seen } = start(0);
  socket(0).receive({ type: 'ready' });
  await tick(10);
  live.remember([msg(8)]);
  socket(0).receive({ type: 'message', message: msg(8) });
  socket(0).receive({ type: 'message', message: msg(9) });
  expect(seen.messages).toEqual([9]);
  live.stop();
  expect(socket(0).closed).toBe(true);
  await tick(600000);
  expect(fake.sockets).toHaveLength(1);
  expect(seen.states.pop()).toBe('stopped');
  expect(api.isLoggedIn()).toBe(true);
});

test('backoff grows to its cap', () => {
  expect([1, 2, 3, 4, 5, 6, 7].map((n) => consultLive.backoff(1000, 30000, n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
});
