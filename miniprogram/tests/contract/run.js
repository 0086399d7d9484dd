// 契约测试：用小程序真正的 API module 走一遍挂号流程（tests/clients/test_contract.py 启动服务器并运行本脚本）。
//   MP_API_BASE_URL  服务器地址
//   MP_PHONE         患者手机号
//   MP_SMS_CODE_FILE 测试把短信验证码写进这个文件（脚本发送验证码后等待它出现）
// 每一步打印一行；任何一步不符合预期就以非零状态退出。
const fs = require('fs');
const wxNode = require('./wx-node.js');

global.wx = wxNode.createWx();
const config = require('../../config.js');
config.baseUrl = process.env.MP_API_BASE_URL;
const api = require('../../api/index.js');

function step(text) {
  process.stdout.write(text + '\n');
}

function check(condition, message) {
  if (!condition) {
    throw new Error('契约不符：' + message);
  }
}

function waitForFile(file, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise(function (resolve, reject) {
    (function poll() {
      if (fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim()) {
        resolve(fs.readFileSync(file, 'utf8').trim());
      } else if (Date.now() > deadline) {
        reject(new Error('等不到短信验证码'));
      } else {
        setTimeout(poll, 50);
      }
    })();
  });
}

async function main() {
  const phone = process.env.MP_PHONE;

  // 登录：短信验证码
  await api.call('smsSend', { body: { phone: phone } });
  step('sms sent');
  const code = await waitForFile(process.env.MP_SMS_CODE_FILE, 20000);
  const wrong = await api.login('loginSms', { phone: phone, code: code === '000000' ? '111111' : '000000' }).catch((e) => e);
  check(wrong.isApiError && wrong.code === 'sms_code_invalid' && wrong.message === '验证码错误', '错误验证码应答 sms_code_invalid：' + wrong.code);
  const login = await api.login('loginSms', { phone: phone, code: code });
  check(api.isLoggedIn() && login.user, '登录后应有凭证');
  step('logged in');

  // 凭证失效时用 refresh 换新的并重试
  const tokens = wx.getStorageSync(api.TOKEN_KEY);
  wx.setStorageSync(api.TOKEN_KEY, { access: tokens.access.slice(0, -4) + 'xxxx', refresh: tokens.refresh });
  const me = await api.call('me');
  check(me.id === login.user.id, 'refresh 后应能读取当前用户');
  check(wx.getStorageSync(api.TOKEN_KEY).access !== tokens.access, '应已换新 access');
  step('token refreshed');

  // 找医院、医生、出诊、号源
  const hospitals = await api.call('hospitalList');
  check(hospitals.results.length === 1, '应有一家医院');
  const hospital = await api.call('hospitalDetail', { params: { hospital_id: hospitals.results[0].id } });
  const found = await api.call('doctorSearch', { query: { hospital: hospital.id } });
  check(found.results.length === 1, '医院应有一位医生');
  const doctor = found.results[0];
  const sessions = await api.call('doctorSessions', { params: { doctor_id: doctor.id } });
  const open = sessions.sessions.filter(function (s) { return s.bookable_now && s.remaining > 0; });
  check(open.length === 1, '应有一个可约的出诊');
  const session = await api.call('sessionDetail', { params: { session_id: open[0].id } });
  const slot = session.slots.filter(function (s) { return s.remaining > 0; })[0];
  check(slot, '应有余号');
  step('found slot ' + slot.id);

  // 预约
  const profiles = await api.call('profileList');
  check(profiles.results.length >= 1, '应有就诊人');
  const appointment = await api.call('appointmentBook', {
    body: { slot_id: slot.id, profile_id: profiles.results[0].id },
    headers: { 'Idempotency-Key': api.newIdempotencyKey() }
  });
  check(appointment.status === 'pending_payment', '新预约应待支付：' + appointment.status);
  step('booked ' + appointment.id);

  // 支付：服务器列出开发网关时用它
  const channels = await api.call('channelList');
  check(channels.channels.indexOf('dev') >= 0, '测试服务器应列出开发网关');
  const order = await api.call('orderCreate', {
    body: { appointment_id: appointment.id, channel: 'dev' },
    headers: { 'Idempotency-Key': api.newIdempotencyKey() }
  });
  check(order.pay_params && order.pay_params.dev_pay_url, '开发网关应给出 dev_pay_url');
  const paid = await api.call('orderDevPay', { params: { order_id: order.id } });
  check(paid.status === 'paid', '订单应已支付：' + paid.status);
  const booked = await api.call('appointmentDetail', { params: { appointment_id: appointment.id } });
  check(booked.status === 'booked', '支付后预约应为已预约：' + booked.status);
  const list = await api.call('appointmentList', { query: { status: 'booked' } });
  check(list.results.some(function (a) { return a.id === appointment.id; }), '“我的预约”里应有它');
  step('paid order ' + order.id);

  // 取消并看到退款
  const cancelled = await api.call('appointmentCancel', { params: { appointment_id: appointment.id }, body: { reason: '契约测试取消' } });
  check(cancelled.status === 'cancelled', '应已取消：' + cancelled.status);
  const refunded = await api.call('orderDetail', { params: { order_id: order.id } });
  check(refunded.refunds.length === 1, '应有一笔退款');
  check(refunded.refunds[0].amount === paid.amount, '应全额退款');
  step('cancelled; refund ' + refunded.refunds[0].status + ' ' + refunded.refunds[0].amount);

  // 服务器错误按错误码显示中文
  const again = await api.call('appointmentCancel', { params: { appointment_id: appointment.id }, body: { reason: '再取消' } }).catch((e) => e);
  check(again.isApiError && again.status === 409 && again.message.length > 0 && again.message !== '操作失败，请稍后再试', '重复取消应有中文提示：' + again.code);
  step('second cancel refused: ' + again.code);

  await api.logout();
  check(!api.isLoggedIn(), '应已退出');
  step('done');
}

main().then(function () {
  process.exit(0);
}, function (err) {
  process.stderr.write((err && err.stack) || String(err) + '\n');
  process.exit(1);
});
