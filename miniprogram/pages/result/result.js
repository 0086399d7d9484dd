const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');
const subscribe = require('../../utils/subscribe.js');

const HEADLINES = { booked: '预约成功', pending_payment: '等待支付结果…', cancelled: '预约已取消' };

Component({
  data: { appointment: {}, headline: '', loading: true, error: '', needLogin: false },
  methods: {
    onLoad: function (options) {
      this.appointmentId = Number(options.appointment);
      subscribe.prefetch().catch(function () {
        return null; // 点击时再取
      });
      return this.reload();
    },
    reload: function () {
      const id = this.appointmentId;
      return page.load(this, function () {
        return api.call('appointmentDetail', { params: { appointment_id: id } }).then(function (a) {
          return {
            appointment: Object.assign({}, a, { visitText: format.dateTime(a.visit_starts_at) }),
            headline: HEADLINES[a.status] || a.status_display
          };
        });
      });
    },
    onSubscribe: function () {
      return subscribe.requestConsent().then(function (result) {
        wx.showToast({ title: result.accepted.length ? '已开启提醒' : '未开启提醒', icon: 'none' });
      }, page.toastError);
    },
    onDetail: function () {
      wx.redirectTo({ url: '/pages/appointment/detail?id=' + this.appointmentId });
    },
    onHome: function () {
      wx.switchTab({ url: '/pages/index/index' });
    }
  }
});
