// 分页列表页：滚到底部读下一页（utils/pager.js），next 为 null 时停止
const h = require('./helpers/fake-wx.js');

let fake;

beforeEach(() => {
  fake = h.install();
  fake.wx.setStorageSync('auth_tokens', { access: 'A', refresh: 'R' });
});

// 假服务器的分页列表：每页一项，共 pages 页；记下每次请求的查询参数
function paged(pages, item, asked) {
  return function (req) {
    const n = Number(req.url.searchParams.get('page') || 1);
    asked.push(Object.fromEntries(req.url.searchParams));
    return [200, {
      count: pages, next: n < pages ? 'http://x/?page=' + (n + 1) : null, previous: null, results: [item(n)]
    }];
  };
}

function appointment(n) {
  return {
    id: n, order_no: 'A' + n, status: 'booked', status_display: '已预约', queue_no: n, fee: 5000,
    visit_starts_at: '2026-11-29T08:00:00+08:00', visit_ends_at: '2026-11-29T08:30:00+08:00', place: '',
    hold_expires_at: null, hospital: { id: 1, name: '仁和医院' }, doctor: { id: 5, name: '医生' + n }, department: '心内科',
    profile: { id: 9, name: '张三' }, cancelled_by: '', cancel_reason: '', reminders_enabled: true,
    confirm_requested_at: null, confirm_deadline: null, confirmed_at: null, created_at: '2026-11-27T09:00:00+08:00'
  };
}

test('my appointments: the next page keeps the status filter; the end of the list is said', async () => {
  const asked = [];
  fake.reply('GET', '/api/v1/appointments/', paged(3, appointment, asked));
  const comp = h.renderPage('pages/appointments/appointments');
  await comp.instance.onFilter({ currentTarget: { dataset: { value: 'booked' } } });
  expect(comp.querySelectorAll('.appointment')).toHaveLength(1);
  expect(comp.dom.textContent).not.toContain('没有更多了');
  expect(await comp.instance.onReachBottom()).toBe(true);
  expect(await comp.instance.onReachBottom()).toBe(true);
  expect(comp.querySelectorAll('.appointment')).toHaveLength(3);
  expect(comp.dom.textContent).toContain('医生3');
  expect(comp.dom.textContent).toContain('没有更多了');
  expect(await comp.instance.onReachBottom()).toBe(false);
  expect(asked).toEqual([{ status: 'booked', page: '1' }, { status: 'booked', page: '2' }, { status: 'booked', page: '3' }]);

  // 换筛选条件从第一页重新读
  await comp.instance.onFilter({ currentTarget: { dataset: { value: '' } } });
  expect(comp.querySelectorAll('.appointment')).toHaveLength(1);
  expect(asked[3]).toEqual({ page: '1' });
});

test('records: a second page, then it stops', async () => {
  const asked = [];
  fake.reply('GET', '/api/v1/records/', paged(2, (n) => ({
    id: n, department: '心内科', doctor: '李医生', hospital: '仁和医院', patient: '张三', visit_at: '2026-11-0' + n + 'T09:00:00+08:00', reports: []
  }), asked));
  const comp = h.renderPage('pages/records/index');
  await comp.instance.onLoad({});
  expect(comp.querySelectorAll('.record')).toHaveLength(1);
  await comp.instance.onReachBottom();
  expect(comp.querySelectorAll('.record')).toHaveLength(2);
  expect(comp.dom.textContent).toContain('2026-11-02');
  expect(comp.dom.textContent).toContain('没有更多了');
  expect(await comp.instance.onReachBottom()).toBe(false);
  expect(asked).toHaveLength(2);
});

test('messages: the unread count is read with the first page only; opening an item of page two', async () => {
  const asked = [];
  let counts = 0;
  fake.reply('GET', '/api/v1/appointments/notifications/', paged(2, (n) => ({
    id: n, title: '消息' + n, body: '', page: 'pages/records/index', is_read: false, created_at: '2026-11-27T09:00:00+08:00'
  }), asked));
  fake.reply('GET', '/api/v1/appointments/notifications/unread-count/', () => {
    counts += 1;
    return [200, { unread: 2 }];
  });
  fake.reply('POST', '/api/v1/appointments/notifications/2/read/', [200, { id: 2, is_read: true }]);
  const comp = h.renderPage('pages/messages/messages');
  await comp.instance.onLoad({});
  await comp.instance.onReachBottom();
  expect(comp.querySelectorAll('.message')).toHaveLength(2);
  expect(counts).toBe(1);
  await comp.instance.onOpen({ currentTarget: { dataset: { index: 1 } } });
  expect(comp.querySelector('.unread').dom.textContent).toBe('1');
  expect(fake.calls.navigateTo[0].url).toBe('/pages/records/index');
});

const CASES = [
  ['pages/department/department', { id: '3' }, '/api/v1/hospitals/departments/3/doctors/', '.doctor',
    (n) => ({ id: n, name: '医生' + n, title_display: '', department_name: '心内科', fee: 100, specialty: '' })],
  ['pages/waitlist/index', {}, '/api/v1/appointments/waitlist/', '.entry',
    (n) => ({ id: n, status: 'left', session_id: 1, session_date: '2026-11-29', period: 'morning', doctor_name: '医生' + n, profile_name: '张三', appointment_id: null })],
  ['pages/profiles/profiles', {}, '/api/v1/accounts/profiles/', '.profile',
    (n) => ({ id: n, name: '人' + n, relation: 'other', id_card_no: '', phone: '' })],
  ['pages/member/member', {}, '/api/v1/accounts/member/points/', '.point',
    (n) => ({ id: n, delta: n, reason: '完成就诊', created_at: '2026-11-20T10:00:00+08:00' })]
];

test.each(CASES)('%s pages the same way', async (name, options, path, selector, item) => {
  fake.reply('GET', '/api/v1/accounts/member/', [200, { level: { name: '普通会员' }, privileges: {}, points: 0, next_level: null }]);
  const asked = [];
  fake.reply('GET', path, paged(2, item, asked));
  const comp = h.renderPage(name);
  await comp.instance.onLoad(options);
  expect(comp.querySelectorAll(selector)).toHaveLength(1);
  expect(await comp.instance.onReachBottom()).toBe(true);
  expect(comp.querySelectorAll(selector)).toHaveLength(2);
  expect(comp.dom.textContent).toContain('没有更多了');
  expect(await comp.instance.onReachBottom()).toBe(false);
  expect(asked.map((q) => q.page)).toEqual(['1', '2']);
});
