// 订阅消息授权：模板 id 由服务器提供（appointments/notifications/subscribe-templates/）。
// wx.requestSubscribeMessage 一次最多 3 个模板，而且只能在用户点击的当下调用（先发网络请求再调用
// 会失去“点击”上下文），所以页面加载时先 prefetch()，点击时 requestConsent() 立即调起授权。
const api = require('../api/index.js');

const PREFERRED = ['visit_reminder', 'stop_clinic', 'booked', 'payment_due', 'hold_expiring',
  'refund_done', 'waitlist_promoted', 'cancelled', 'confirm_request', 'report_ready'];

// 已取到的模板 id，按页面优先的事件分别缓存
const cached = {};

// first：本页最相关的事件（如排队页的 release_queue_admitted），排在通用顺序之前
function chooseTemplates(templates, first) {
  const order = (first || []).concat(PREFERRED);
  const ordered = templates.slice().sort(function (a, b) {
    const ia = order.indexOf(a.event);
    const ib = order.indexOf(b.event);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  });
  return ordered.slice(0, 3).map(function (t) {
    return t.template_id;
  });
}

function prefetch(first) {
  const key = (first || []).join(',');
  return api.call('subscribeTemplates').then(function (data) {
    cached[key] = chooseTemplates(data.templates || [], first);
    return cached[key];
  });
}

function ask(ids) {
  if (!ids.length) {
    return Promise.resolve({ asked: [], accepted: [] });
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
}

// 结果：{asked: 请求的模板 id, accepted: 用户同意的模板 id}
function requestConsent(first) {
  const ids = cached[(first || []).join(',')];
  return ids ? ask(ids) : prefetch(first).then(ask);
}

module.exports = { chooseTemplates: chooseTemplates, prefetch: prefetch, requestConsent: requestConsent };
