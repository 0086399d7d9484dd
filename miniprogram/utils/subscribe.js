// 订阅消息授权：模板 id 由服务器提供（appointments/notifications/subscribe-templates/）。
// wx.requestSubscribeMessage 一次最多 3 个模板，且必须在用户点击时调用。
const api = require('../api/index.js');

const PREFERRED = ['visit_reminder', 'stop_clinic', 'booked', 'payment_due', 'hold_expiring',
  'refund_done', 'waitlist_promoted', 'cancelled', 'confirm_request', 'report_ready'];

function chooseTemplates(templates) {
  const ordered = templates.slice().sort(function (a, b) {
    const ia = PREFERRED.indexOf(a.event);
    const ib = PREFERRED.indexOf(b.event);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  });
  return ordered.slice(0, 3).map(function (t) {
    return t.template_id;
  });
}

// 结果：{asked: 模板 id 列表, accepted: 同意的模板 id 列表}
function requestConsent() {
  return api.call('subscribeTemplates').then(function (data) {
    const ids = chooseTemplates(data.templates || []);
    if (!ids.length) {
      return { asked: [], accepted: [] };
    }
    return new Promise(function (resolve) {
      wx.requestSubscribeMessage({
        tmplIds: ids,
        success: function (res) {
          resolve({ asked: ids, accepted: ids.filter(function (id) { return res[id] === 'accept'; }) });
        },
        fail: function () {
          resolve({ asked: ids, accepted: [] });
        }
      });
    });
  });
}

module.exports = { chooseTemplates: chooseTemplates, requestConsent: requestConsent };
