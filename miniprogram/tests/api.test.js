const h = require('./helpers/fake-wx.js');

let fake;
let api;

beforeEach(() => {
  fake = h.install();
  api = require('../api/index.js');
});

function loggedIn(access, refresh) {
  fake.wx.setStorageSync(api.TOKEN_KEY, { access: access || 'access-1', refresh: refresh || 'refresh-1' });
}

test('builds the URL from endpoints.json and the config base URL', async () => {
  fake.reply('GET', '/api/v1/scheduling/doctors/7/sessions/', [200, { doctor_id: 7, sessions: [] }]);
  const data = await api.call('doctorSessions', { params: { doctor_id: 7 }, query: { clinic_type: 'expert' } });
  expect(data).toEqual({ doctor_id: 7, sessions: [] });
  expect(fake.calls.request[0].url).toBe('http://127.0.0.1:8000/api/v1/scheduling/doctors/7/sessions/?clinic_type=expert');
  expect(fake.calls.request[0].method).toBe('GET');
});

test('empty query values are left out', async () => {
  fake.reply('GET', '/api/v1/hospitals/', [200, { results: [] }]);
  await api.call('hospitalList', { query: { q: '' } });
  expect(fake.calls.request[0].url).toBe('http://127.0.0.1:8000/api/v1/hospitals/');
});

test('a list value repeats the query parameter; an empty list is left out', async () => {
  fake.reply('GET', '/api/v1/consult/', [200, { results: [] }]);
  await api.call('consultList', { query: { page: 2, status: ['closed', 'rated'] } });
  await api.call('consultList', { query: { status: [] } });
  expect(fake.calls.request.map((r) => r.url)).toEqual([
    'http://127.0.0.1:8000/api/v1/consult/?page=2&status=closed&status=rated',
    'http://127.0.0.1:8000/api/v1/consult/'
  ]);
});

test('refuses a body field, query parameter or header the endpoint does not declare', async () => {
  await expect(api.call('smsSend', { body: { phone: '13800000000', extra: 1 } })).rejects.toThrow('未声明字段 extra');
  await expect(api.call('hospitalList', { query: { city: 'x' } })).rejects.toThrow('未声明查询参数 city');
  await expect(api.call('smsSend', { body: { phone: '1' }, headers: { 'X-Any': 1 } })).rejects.toThrow('未声明请求头');
  await expect(api.call('doctorDetail', { params: {} })).rejects.toThrow('缺少路径参数 doctor_id');
  await expect(api.call('noSuchEndpoint')).rejects.toThrow('未知接口');
  expect(fake.calls.request).toHaveLength(0);
});

test('login stores the token pair and later calls send the access token', async () => {
  fake.reply('POST', '/api/v1/accounts/login/sms/', [200, { access: 'A', refresh: 'R', is_new_user: false, user: { id: 1 } }]);
  fake.reply('GET', '/api/v1/accounts/me/', (req) => [200, { auth: req.header.Authorization }]);
  await api.login('loginSms', { phone: '13800000000', code: '123456' });
  expect(fake.storage[api.TOKEN_KEY]).toEqual({ access: 'A', refresh: 'R' });
  expect(fake.calls.request[0].data).toEqual({ phone: '13800000000', code: '123456' });
  expect(await api.call('me')).toEqual({ auth: 'Bearer A' });
});

test('an expired access token is refreshed once and the call retried', async () => {
  loggedIn('old-access', 'old-refresh');
  fake.reply('GET', '/api/v1/accounts/me/', (req) => (
    req.header.Authorization === 'Bearer new-access' ? [200, { id: 1 }] : h.error('token_not_valid', 401)
  ));
  fake.reply('POST', '/api/v1/accounts/token/refresh/', (req) => (
    req.data.refresh === 'old-refresh' ? [200, { access: 'new-access', refresh: 'new-refresh' }] : h.error('token_not_valid', 401)
  ));
  expect(await api.call('me')).toEqual({ id: 1 });
  expect(fake.storage[api.TOKEN_KEY]).toEqual({ access: 'new-access', refresh: 'new-refresh' });
  const urls = fake.calls.request.map((r) => r.method + ' ' + new URL(r.url).pathname);
  expect(urls).toEqual(['GET /api/v1/accounts/me/', 'POST /api/v1/accounts/token/refresh/', 'GET /api/v1/accounts/me/']);
});

test('calls failing together share one refresh', async () => {
  loggedIn('old-access', 'old-refresh');
  fake.reply('GET', '/api/v1/accounts/me/', (req) => (req.header.Authorization === 'Bearer new' ? [200, { me: 1 }] : h.error('token_not_valid', 401)));
  fake.reply('GET', '/api/v1/accounts/member/', (req) => (req.header.Authorization === 'Bearer new' ? [200, { member: 1 }] : h.error('token_not_valid', 401)));
  fake.reply('POST', '/api/v1/accounts/token/refresh/', [200, { access: 'new', refresh: 'r2' }]);
  const answers = await Promise.all([api.call('me'), api.call('member')]);
  expect(answers).toEqual([{ me: 1 }, { member: 1 }]);
  const refreshes = fake.calls.request.filter((r) => r.url.indexOf('token/refresh') >= 0);
  expect(refreshes).toHaveLength(1);
});

test('a refused refresh logs out: tokens cleared, handler called, the error is the 401 in Chinese', async () => {
  loggedIn();
  const loggedOut = jest.fn();
  api.onLogout(loggedOut);
  fake.reply('GET', '/api/v1/accounts/me/', h.error('token_not_valid', 401));
  fake.reply('POST', '/api/v1/accounts/token/refresh/', h.error('token_not_valid', 401));
  const err = await api.call('me').catch((e) => e);
  expect(err.isApiError).toBe(true);
  expect(err.code).toBe('token_not_valid');
  expect(err.message).toBe('登录已过期，请重新登录');
  expect(err.needLogin).toBe(true);
  expect(fake.storage[api.TOKEN_KEY]).toBeUndefined();
  expect(loggedOut).toHaveBeenCalledTimes(1);
  expect(fake.calls.request).toHaveLength(2); // no second retry
});

test('a public call still answers after a refused refresh, without the stale token', async () => {
  loggedIn('stale', 'stale-refresh');
  fake.reply('GET', '/api/v1/hospitals/', (req) => (req.header.Authorization ? h.error('token_not_valid', 401) : [200, { results: [] }]));
  fake.reply('POST', '/api/v1/accounts/token/refresh/', h.error('token_not_valid', 401));
  expect(await api.call('hospitalList')).toEqual({ results: [] });
  expect(api.isLoggedIn()).toBe(false);
});

test('a retry that is refused again is not refreshed a second time', async () => {
  loggedIn();
  fake.reply('GET', '/api/v1/accounts/me/', h.error('token_not_valid', 401));
  fake.reply('POST', '/api/v1/accounts/token/refresh/', [200, { access: 'still-bad', refresh: 'r' }]);
  const err = await api.call('me').catch((e) => e);
  expect(err.code).toBe('token_not_valid');
  expect(fake.calls.request).toHaveLength(3);
});

test('other 401s (not logged in) are not refreshed', async () => {
  fake.reply('GET', '/api/v1/accounts/me/', h.error('not_authenticated', 401));
  const err = await api.call('me').catch((e) => e);
  expect(err.message).toBe('请先登录');
  expect(fake.calls.request).toHaveLength(1);
});

test('errors in the project shape are shown through the message map', async () => {
  fake.reply('POST', '/api/v1/appointments/book/', h.error('slot_full', 409));
  loggedIn();
  const err = await api.call('appointmentBook', { body: { slot_id: 1, profile_id: 2 }, headers: { 'Idempotency-Key': 'k1' } }).catch((e) => e);
  expect(err.status).toBe(409);
  expect(err.message).toBe('该时段已约满');
  expect(fake.calls.request[0].header['Idempotency-Key']).toBe('k1');
});

test('an unknown code, a non-JSON 500 and a network failure still give Chinese text', async () => {
  fake.reply('GET', '/api/v1/hospitals/', h.error('brand_new_code', 400));
  expect((await api.call('hospitalList').catch((e) => e)).message).toBe('操作失败，请稍后再试');
  fake.reply('GET', '/api/v1/hospitals/', [502, '<html>Bad Gateway</html>']);
  const bad = await api.call('hospitalList').catch((e) => e);
  expect(bad.code).toBe('server_error');
  expect(bad.message).toBe('服务器开小差了，请稍后再试');
  fake.setOffline(true);
  const offline = await api.call('hospitalList').catch((e) => e);
  expect(offline.code).toBe('network_error');
  expect(offline.message).toBe('网络连接失败，请检查网络后重试');
});

test('validation errors add the first field message', async () => {
  fake.reply('POST', '/api/v1/accounts/sms/send/', [400, { error: { code: 'invalid', message: 'Invalid input.', fields: { phone: ['请输入有效的手机号。'] } } }]);
  const err = await api.call('smsSend', { body: { phone: '1' } }).catch((e) => e);
  expect(err.message).toBe('填写的内容有误，请检查后重试：请输入有效的手机号。');
  expect(err.fields).toEqual({ phone: ['请输入有效的手机号。'] });
});

test('logout revokes the refresh token and clears the pair even when the server fails', async () => {
  loggedIn('a', 'r');
  fake.reply('POST', '/api/v1/accounts/logout/', [500, {}]);
  await api.logout();
  expect(fake.calls.request[0].data).toEqual({ refresh: 'r' });
  expect(api.isLoggedIn()).toBe(false);
});

test('idempotency keys differ', () => {
  expect(api.newIdempotencyKey()).not.toBe(api.newIdempotencyKey());
});

test('upload sends the file as the declared multipart field, refreshes an expired token once, and maps errors', async () => {
  loggedIn('old-access', 'old-refresh');
  fake.reply('POST', '/api/v1/consult/3/problem-images/', (req) => (
    req.header.Authorization === 'Bearer new-access' ? [201, { id: 1, url: '/api/v1/consult/images/t/' }] : h.error('token_not_valid', 401)
  ));
  fake.reply('POST', '/api/v1/accounts/token/refresh/', [200, { access: 'new-access', refresh: 'new-refresh' }]);
  const progress = [];
  const data = await api.upload('consultProblemImage', { params: { consult_id: 3 }, filePath: 'tmp/a.jpg', onProgress: (p) => progress.push(p) });
  expect(data).toEqual({ id: 1, url: '/api/v1/consult/images/t/' });
  expect(fake.calls.uploadFile.map((u) => [u.name, u.filePath, u.header.Authorization])).toEqual([
    ['image', 'tmp/a.jpg', 'Bearer old-access'], ['image', 'tmp/a.jpg', 'Bearer new-access']
  ]);
  expect(progress).toEqual([50, 100, 50, 100]);

  fake.reply('POST', '/api/v1/consult/3/messages/send-image/', h.error('consult_not_open', 409));
  const err = await api.upload('consultSendImage', { params: { consult_id: 3 }, filePath: 'tmp/b.jpg' }).catch((e) => e);
  expect([err.status, err.message]).toEqual([409, '问诊已结束或尚未开始，无法操作']);
});

test('an upload endpoint is not called with call(), nor a JSON one with upload()', async () => {
  await expect(api.call('consultSendImage', { params: { consult_id: 3 } })).rejects.toThrow('请用 upload');
  await expect(api.upload('consultSend', { params: { consult_id: 3 }, filePath: 'x' })).rejects.toThrow('未知的上传接口');
  expect(fake.calls.request).toHaveLength(0);
});

test('the WebSocket address follows the server address (ws / wss) and the token is at hand', () => {
  const config = require('../config.js');
  expect(api.socketUrl('consultLive', { consult_id: 3 })).toBe('ws://127.0.0.1:8000/ws/consult/3/');
  config.baseUrl = 'https://hospital.example.cn/';
  expect(api.socketUrl('consultLive', { consult_id: 3 })).toBe('wss://hospital.example.cn/ws/consult/3/');
  expect(api.accessToken()).toBe('');
  loggedIn('tok');
  expect(api.accessToken()).toBe('tok');
});
