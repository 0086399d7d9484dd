const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const format = require('../../utils/format.js');
const subscribe = require('../../utils/subscribe.js');

const HEADLINES = { booked: '预约成功', pending_payment: '等待支付结果…', cancelled: '预约已取消' };
// 微信支付的结果由支付通知送到服务器，可能比页面晚到：再看几次
const POLL_MS = 2000;
const POLL_TIMES = 5;

Component({
  data: { appointment: {}, headline: '', loading: true, error: '', needLogin: false },
  lifetimes: {
    detached: function () {
      clearTimeout(this.pollTimer);
    }
  },
  methods: {
    onUnload: function () {
      clearTimeout(this.pollTimer);
    },
    onLoad: function (options) {
      this.appointmentId = Number(options.appointment);
      this.polls = 0;
      subscribe.prefetch().catch(function () {
        return null; // 点击时再取
      });
      return this.reload();
    },
    reload: function () {
      const self = this;
      const id = self.appointmentId;
      return page.load(self, function () {
        return self.fetch(id);
      }).then(function (ok) {
        self.poll();
        return ok;
      });
    },
    fetch: function (id) {
      return api.call('appointmentDetail', { params: { appointment_id: id } }).then(function (a) {
        return {
          appointment: Object.assign({}, a, { visitText: format.dateTime(a.visit_starts_at) }),
          headline: HEADLINES[a.status] || a.status_display
        };
      });
    },
    poll: function () {
      const self = this;
      if (self.data.appointment.status !== 'pending_payment' || self.polls >= POLL_TIMES) {
        return;
      }
      self.polls += 1;
      self.pollTimer = setTimeout(function () {
        self.fetch(self.appointmentId).then(function (data) {
          self.setData(data);
          self.poll();
        }, function () {
          self.poll();
        });
      }, POLL_MS);
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
