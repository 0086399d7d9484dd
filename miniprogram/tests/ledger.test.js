// 爽约记录与申诉页：限制的原因和截止日期、记录、提交申诉（无附件走 JSON，有附件走上传）、错误码译成中文
const h = require('./helpers/fake-wx.js');

let fake;

beforeEach(() => {
  fake = h.install();
  fake.wx.setStorageSync('auth_tokens', { access: 'A', refresh: 'R' });
});

const PROFILE = '/api/v1/appointments/ledger/profiles/9/';
const APPEALS = '/api/v1/appointments/ledger/appeals/';
const APPEAL = '/api/v1/appointments/ledger/entries/4/appeal/';

function entry(extra) {
  return Object.assign({
    id: 4, kind: 'no_show', kind_display: '爽约', hospital_id: 1, hospital_name: '仁和医院', appointment_id: 7,
    visit_starts_at: '2026-11-29T08:00:00+08:00', occurred_at: '2026-11-29T12:00:00+08:00', voided: false, appeals: []
  }, extra || {});
}

function ledger(entries) {
  return [200, {
    profile_id: 9,
    entries: entries,
    restrictions: [{ hospital_id: 1, hospital_name: '仁和医院', kind: 'no_show', until: '2026-12-29', message: '您在90天内爽约3次，2026-12-29前不能在本院预约。' }]
  }];
}

async function open() {
  const comp = h.renderPage('pages/ledger/ledger');
  await comp.instance.onLoad({ profile_id: '9' });
  return comp;
}

test('the restriction is shown with its reason and end date, and each record', async () => {
  fake.reply('GET', PROFILE, ledger([entry()]));
  fake.reply('GET', APPEALS, [200, []]);
  const comp = await open();
  expect(h.text(comp, '.restriction .warn')).toBe('您在90天内爽约3次，2026-12-29前不能在本院预约。');
  expect(comp.querySelectorAll('.entry')).toHaveLength(1);
  expect(h.text(comp, '.entry .muted')).toContain('2026-11-29 08:00');
  expect(comp.querySelector('.entry .appeal')).toBeTruthy();
});

test('an appeal without a file is sent as JSON; the record then shows it pending and no button', async () => {
  let sent = null;
  fake.reply('GET', PROFILE, ledger([entry()]));
  fake.reply('GET', APPEALS, [200, []]);
  fake.reply('POST', APPEAL, (req) => {
    sent = req.data;
    fake.reply('GET', PROFILE, ledger([entry({ appeals: [{ id: 3, status: 'pending', status_display: '待处理', decision_note: '', created_at: '', decided_at: null }] })]));
    return [201, { id: 3 }];
  });
  const comp = await open();
  comp.instance.onAppeal({ currentTarget: { dataset: { id: 4 } } });
  expect(await comp.instance.onSubmit()).toBe(false); // 没填理由
  expect(sent).toBeNull();
  comp.instance.onReason({ detail: { value: '当天住院' } });
  await comp.instance.onSubmit();
  expect(sent).toEqual({ reason: '当天住院' });
  expect(h.text(comp, '.entry .appeal-status')).toContain('待处理');
  expect(comp.querySelector('.entry .appeal')).toBeFalsy();
});

test('with a chosen image the appeal is uploaded with its reason; a refusal is told in Chinese', async () => {
  let upload = null;
  fake.reply('GET', PROFILE, ledger([entry()]));
  fake.reply('GET', APPEALS, [200, []]);
  fake.reply('POST', APPEAL, (req) => {
    upload = req;
    return h.error('appeal_pending', 409);
  });
  fake.media.files = ['wxfile://proof.png'];
  const comp = await open();
  comp.instance.onAppeal({ currentTarget: { dataset: { id: 4 } } });
  comp.instance.onReason({ detail: { value: '停诊未收到通知' } });
  expect(await comp.instance.onChoose()).toBe(true);
  expect(await comp.instance.onSubmit()).toBe(false);
  expect(upload.name).toBe('attachment');
  expect(upload.filePath).toBe('wxfile://proof.png');
  expect(upload.formData).toEqual({ reason: '停诊未收到通知' });
  const toast = fake.calls.showToast[fake.calls.showToast.length - 1];
  expect(toast.title).toBe('该记录已有待处理的申诉');
});

test("another user's profile is not found: the page says so", async () => {
  fake.reply('GET', APPEALS, [200, []]);
  fake.reply('GET', PROFILE, h.error('profile_not_found', 404));
  const comp = await open();
  expect(comp.data.error).not.toBe('');
  expect(comp.querySelectorAll('.entry')).toHaveLength(0);
});
