const h = require('./helpers/fake-wx.js');

let fake;

beforeEach(() => {
  fake = h.install();
  fake.wx.setStorageSync('auth_tokens', { access: 'A', refresh: 'R' });
});

const OFFER = {
  id: 7, status: 'open', stopped_appointment_id: 70, patient: '张三', doctor: '李医生', department: '心内科',
  starts_at: '2026-12-01T08:30:00+08:00', place: '门诊楼 3 层', fee_waived: true,
  expires_at: '2026-11-28T20:00:00+08:00', new_appointment_id: null
};

describe('rebooking offers after a stop', () => {
  test('lists the held seat and accepts it with one tap', async () => {
    fake.reply('GET', '/api/v1/appointments/rebooking-offers/', [200, [OFFER]]);
    fake.reply('POST', '/api/v1/appointments/rebooking-offers/7/accept/', [200, { id: 88, status: 'booked' }]);
    const comp = h.renderPage('pages/rebooking-offers/index');
    await comp.instance.onLoad({});
    expect(comp.dom.textContent).toContain('待答复');
    expect(comp.dom.textContent).toContain('2026-12-01 08:30');
    expect(comp.dom.textContent).toContain('免挂号费');
    comp.querySelector('.accept').dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.request.some((r) => r.method === 'POST' && r.url.endsWith('/rebooking-offers/7/accept/'))).toBe(true);
    expect(fake.calls.redirectTo[0].url).toBe('/pages/appointment/detail?id=88');
  });

  test('a closed offer shows the refusal in Chinese', async () => {
    fake.reply('GET', '/api/v1/appointments/rebooking-offers/', [200, [OFFER]]);
    fake.reply('POST', '/api/v1/appointments/rebooking-offers/7/accept/', h.error('rebooking_offer_closed', 409));
    const comp = h.renderPage('pages/rebooking-offers/index');
    await comp.instance.onLoad({});
    await comp.instance.onAccept({ currentTarget: { dataset: { id: 7 } } });
    expect(fake.calls.showToast[fake.calls.showToast.length - 1].title).toBe('该改约名额已被接受、放弃或已过期');
  });

  test('declined or lapsed offers have no buttons; none at all says so', async () => {
    fake.reply('GET', '/api/v1/appointments/rebooking-offers/', [200, [Object.assign({}, OFFER, { status: 'lapsed' })]]);
    const comp = h.renderPage('pages/rebooking-offers/index');
    await comp.instance.onLoad({});
    expect(comp.dom.textContent).toContain('已过期');
    expect(comp.querySelector('.accept')).toBeFalsy();
    fake.reply('GET', '/api/v1/appointments/rebooking-offers/', [200, []]);
    await comp.instance.reload();
    expect(comp.dom.textContent).toContain('暂无改约名额');
  });
});

describe('the way to the offers', () => {
  test('mine lists 停诊改约 among the patient entries and opens the offers page', async () => {
    fake.reply('GET', '/api/v1/accounts/me/', [200, { id: 1, role: 'patient', nickname: '张三', phone: '138****0000', member_level: 'normal', points: 0 }]);
    fake.reply('GET', '/api/v1/appointments/notifications/unread-count/', [200, { unread: 0 }]);
    fake.reply('GET', '/api/v1/appointments/notifications/subscribe-templates/', [200, { templates: [] }]);
    const mine = h.renderPage('pages/mine/mine');
    await mine.instance.onLoad({});
    const entries = mine.querySelectorAll('.entry').map((n) => n.dom.textContent.trim());
    expect(entries).toContain('停诊改约');
    expect(entries.indexOf('停诊改约')).toBe(entries.indexOf('我的候补') + 1);
    const offers = mine.querySelectorAll('.entry').find((n) => n.dom.textContent.trim() === '停诊改约');
    offers.dispatchEvent('tap');
    await h.flush();
    expect(fake.calls.navigateTo[fake.calls.navigateTo.length - 1].url).toBe('/pages/rebooking-offers/index');
  });
});
